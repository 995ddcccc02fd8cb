package sim

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pbxlab/pbx"
	pbxconfig "pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
	"pbxlab/sim/report"
	"pbxlab/sim/scenario"
)

// journeyScenario: every answered call keys 1# (RFC 4733 through the
// PBX's anchored media), holds and resumes, joins conference room 800 on a
// second line and ends by a blind transfer of the callee to a phone the
// plan draws.
const journeyScenario = `name: journeys-test
population: {count: 6, first: "1000", password: "demo{n}"}
behaviours: {answer: 100}
answer_delay: 100ms
calls:
  rate: 2
  hold: 1s
  duration: 1500ms
  ring_timeout: 5s
  max_concurrent: 10
  journey:
    - dtmf: "1#"
    - hold: 300ms
    - conference: "800"
    - transfer: {kind: blind}
audio: {verify: true}
seed: 7
`

// startJourneyPBX starts pbxlab's demo configuration with conference
// room 800.
func startJourneyPBX(t *testing.T) *pbxtest.Instance {
	t.Helper()
	cfg := pbxconfig.Demo()
	cfg.Conferences = append(cfg.Conferences, pbxconfig.Conference{Number: "800", MaxParties: 32})
	in, err := pbxtest.Start(cfg, pbxtest.Options{})
	if err != nil {
		t.Fatalf("start pbx: %v", err)
	}
	t.Cleanup(func() { _ = in.Close() })
	return in
}

// TestJourneyAgainstPBX runs the journey against pbxlab: every step of
// every call succeeds, and what the PBX recorded shows it happened: each
// transferred call's record ends "transferred to" the drawn target, and
// the transferee's new call with the target was answered; each conference
// join is an answered call to 800; the DTMF step only succeeds when the
// callee's leg heard the digits.
func TestJourneyAgainstPBX(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two 3 s scenarios")
	}
	variants := map[string]string{
		"blind":    journeyScenario,
		"attended": strings.Replace(journeyScenario, "kind: blind", "kind: attended", 1),
		// the callee keys the DTMF (heard by the caller), holds and
		// transfers the caller
		"by callee": strings.NewReplacer(`- dtmf: "1#"`, `- {dtmf: "1#", by: callee}`, "- hold: 300ms", "- {hold: 300ms, by: callee}",
			"- transfer: {kind: blind}", "- {transfer: {kind: blind}, by: callee}").Replace(journeyScenario),
	}
	for _, kind := range []string{"blind", "attended", "by callee"} {
		t.Run(kind, func(t *testing.T) {
			checkLeaks(t)
			sc, err := scenario.Parse("journeys.yaml", []byte(variants[kind]))
			if err != nil {
				t.Fatal(err)
			}
			in := startJourneyPBX(t)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			rep, err := Run(ctx, sc, Target{Addr: in.Target()}, WithLocalIP(netip.MustParseAddr("127.0.0.1")))
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			var text strings.Builder
			_ = rep.Text(&text)
			t.Log("\n" + text.String())

			if rep.Calls.Answered < 3 || rep.Calls.Unexpected != 0 {
				t.Fatalf("calls %+v: want 3 answered, none unexpected", rep.Calls)
			}
			if len(rep.Journey) != 4 {
				t.Fatalf("journey steps %+v: want 4", rep.Journey)
			}
			kinds := []string{"dtmf", "hold", "conference", "transfer"}
			for i, s := range rep.Journey {
				if s.Step != i+1 || s.Kind != kinds[i] {
					t.Errorf("step %d is %d %s, want %s", i, s.Step, s.Kind, kinds[i])
				}
				if s.Attempted != rep.Calls.Answered || s.OK != s.Attempted || s.Failed != 0 || s.Skipped != 0 {
					t.Errorf("step %s: %+v, want every one of the %d answered calls ok", s.Name, s, rep.Calls.Answered)
				}
				if s.Latency.Count != s.OK || s.Latency.Max <= 0 {
					t.Errorf("step %s latency %+v: want one per success", s.Name, s.Latency)
				}
			}
			if kind == "by callee" && !strings.HasSuffix(rep.Journey[3].Name, " by callee") {
				t.Errorf("step named %q", rep.Journey[3].Name)
			}
			checkJourneyCDRs(t, in, rep, kind)
		})
	}
}

// checkJourneyCDRs checks the PBX's records of a journey run: a blind
// transfer ends the call's record "transferred to T" and the transferee's
// new call with T was answered (the callee's, or the caller's when the
// callee transferred); an attended one also ends the caller's
// consultation call with T "transferred: ... joined to T".
func checkJourneyCDRs(t *testing.T, in *pbxtest.Instance, rep *report.Report, kind string) {
	t.Helper()
	recs, err := in.ListCDRs(context.Background(), pbx.CDRFilter{})
	if err != nil {
		t.Fatal(err)
	}
	transferred, joinedTo, joined := 0, 0, 0
	for _, r := range recs {
		switch {
		case strings.HasPrefix(r.Reason, "transferred to "):
			transferred++
			target := strings.TrimPrefix(r.Reason, "transferred to ")
			transferee := r.Callee
			if kind == "by callee" {
				transferee = r.Caller
			}
			if kind != "attended" && !hasAnswered(recs, r.CallID, transferee, target) {
				t.Errorf("record %+v: no answered call of %s with the target %s", r, transferee, target)
			}
		case strings.HasPrefix(r.Reason, "transferred: "):
			joinedTo++
		case r.Dialled == "800":
			if r.Disposition == pbx.Answered {
				joined++
			}
		}
	}
	ok := rep.Journey[3].OK
	if transferred != ok || (kind == "attended" && joinedTo != ok) {
		t.Errorf("the PBX recorded %d transfers (%d consultation calls joined), the report %d", transferred, joinedTo, ok)
		for _, r := range recs {
			t.Logf("cdr %s %s→%s (%s) %s %q", r.CallID, r.Caller, r.Dialled, r.Callee, r.Disposition, r.Reason)
		}
	}
	if joined != rep.Journey[2].OK {
		t.Errorf("the PBX recorded %d answered calls to room 800, the report %d joins", joined, rep.Journey[2].OK)
	}
}

// hasAnswered reports whether recs hold an answered call of the call
// callID from transferee to target.
func hasAnswered(recs []pbx.CDR, callID, transferee, target string) bool {
	for _, r := range recs {
		if r.CallID == callID && r.Caller == transferee && r.Callee == target && r.Disposition == pbx.Answered {
			return true
		}
	}
	return false
}

// TestJourneyThroughIVRAgainstPBX: calls to an IVR number (calls.remote)
// key 2 as RFC 4733 DTMF; the IVR's menu puts each caller through to
// extension 1003, a phone outside the population that counts its calls:
// it answered one for every DTMF step the report counts ok.
func TestJourneyThroughIVRAgainstPBX(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 4 s scenario")
	}
	checkLeaks(t)
	dir := t.TempDir()
	ivrFile := filepath.Join(dir, "ivr.yaml")
	if err := os.WriteFile(ivrFile, []byte(`numbers:
  "500": main
menus:
  main:
    prompt: please-hold
    timeout: 5s
    options:
      "2": {call: "1003"}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := pbxconfig.Demo()
	cfg.IVRs = append(cfg.IVRs, pbxconfig.IVR{File: ivrFile})
	in, err := pbxtest.Start(cfg, pbxtest.Options{})
	if err != nil {
		t.Fatalf("start pbx: %v", err)
	}
	t.Cleanup(func() { _ = in.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	reached := extension(t, ctx, in.Target(), "1003")

	// RFC 4733 from media phones, SIP INFO from signalling-only ones
	for _, audio := range []string{"", "audio: {share: 0}\n"} {
		sc, err := scenario.Parse("journeys-ivr.yaml", []byte(`name: journeys-ivr
population: {count: 3, first: "1000", password: "demo{n}"}
behaviours: {answer: 100}
calls:
  rate: 2
  hold: 2s
  duration: 1s
  remote: {first: "500", count: 1}
  journey: [{wait: 300ms}, {dtmf: "2"}, {wait: 1s}]
seed: 5
`+audio))
		if err != nil {
			t.Fatal(err)
		}
		before := reached.Load()
		rep, err := Run(ctx, sc, Target{Addr: in.Target()}, WithLocalIP(netip.MustParseAddr("127.0.0.1")))
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		var text strings.Builder
		_ = rep.Text(&text)
		t.Logf("%s\n%s", audio, text.String())
		if rep.Calls.Answered < 2 || len(rep.Journey) != 3 {
			t.Fatalf("calls %+v, journey %+v: want 2 answered calls running 3 steps", rep.Calls, rep.Journey)
		}
		dtmf := rep.Journey[1]
		if dtmf.Kind != "dtmf" || dtmf.OK != rep.Calls.Answered {
			t.Errorf("%sdtmf step %+v: want ok on each of the %d calls", audio, dtmf, rep.Calls.Answered)
		}
		if n := int(reached.Load() - before); n != dtmf.OK {
			t.Errorf("%sthe IVR put %d calls through to 1003, the report counts %d DTMF steps ok", audio, n, dtmf.OK)
		}
	}
}

// extension registers a phone of number with the PBX at target, outside
// any population: it answers every call and counts them.
func extension(t *testing.T, ctx context.Context, target, number string) *atomic.Int64 {
	t.Helper()
	a, err := phone.NewAgent(phone.Config{LocalIP: netip.MustParseAddr("127.0.0.1"), Target: target})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	var n atomic.Int64
	p, err := a.NewPhone(phone.PhoneConfig{Number: number, Password: "demo" + number,
		Answer: phone.AnswerMode{Behaviour: phone.Answer}, OnIncoming: func(*phone.Call) { n.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Register(ctx); err != nil {
		t.Fatalf("register %s: %v", number, err)
	}
	return &n
}
