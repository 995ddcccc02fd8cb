package sim

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	pbxconfig "pbxlab/pbx/config"
	"pbxlab/pbx"
	"pbxlab/pbx/pbxtest"
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
		t.Skip("runs a 4 s scenario")
	}
	checkLeaks(t)
	sc, err := scenario.Parse("journeys.yaml", []byte(journeyScenario))
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
	checkJourneyCDRs(t, in, rep)
}

// checkJourneyCDRs checks the PBX's records of a journey run.
func checkJourneyCDRs(t *testing.T, in *pbxtest.Instance, rep *report.Report) {
	t.Helper()
	recs, err := in.ListCDRs(context.Background(), pbx.CDRFilter{})
	if err != nil {
		t.Fatal(err)
	}
	transferred, joined := 0, 0
	for _, r := range recs {
		switch {
		case strings.HasPrefix(r.Reason, "transferred to "):
			transferred++
			target := strings.TrimPrefix(r.Reason, "transferred to ")
			if !hasAnswered(recs, r.CallID, r.Callee, target) {
				t.Errorf("record %+v: no answered call of %s with the target %s", r, r.Callee, target)
			}
		case r.Dialled == "800":
			if r.Disposition == pbx.Answered {
				joined++
			}
		}
	}
	if transferred != rep.Journey[3].OK {
		t.Errorf("the PBX recorded %d transfers, the report %d", transferred, rep.Journey[3].OK)
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
