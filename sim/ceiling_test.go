package sim

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/report"
	"pbxlab/sim/scenario"
)

// ceilingSteps renders the steps as "rate:attempted:verdict" for the
// assertions.
func ceilingSteps(c *report.Ceiling) []string {
	var out []string
	for _, s := range c.Steps {
		v := "pass"
		if !s.Pass {
			v = "FAIL"
		}
		label := report.Rate(s.Offered)
		if s.Confirm {
			label += "c"
		}
		out = append(out, label+":"+v)
	}
	return out
}

// runCeilingScenario loads doc and runs it against target.
func runCeilingScenario(t *testing.T, doc, target string, opts ...Option) *report.Report {
	t.Helper()
	sc, err := scenario.Parse("ceiling.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, sc, Target{Addr: target}, append([]Option{WithLocalIP(netip.MustParseAddr("127.0.0.1"))}, opts...)...)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var text strings.Builder
	_ = rep.Text(&text)
	t.Log("\n" + text.String())
	if rep.Ceiling == nil {
		t.Fatal("a ceiling run without its ceiling")
	}
	return rep
}

// TestCeilingAgainstPBX runs the ceiling shape against pbxlab in-process
// with a threshold that breaks at a known step whatever the timing: the
// calls a step attempts are its rate × its duration, drawn from the plan
// (uniform arrivals, max_concurrent out of reach), so "attempted <= 6"
// holds at 2, 4 and 6 calls/s and breaks at 8. The ceiling is 6, the
// broken threshold is named, the confirmation re-runs 6 and passes, and
// each step is measured on its own calls only.
func TestCeilingAgainstPBX(t *testing.T) {
	checkLeaks(t)
	in, err := pbxtest.Start(nil, pbxtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	rep := runCeilingScenario(t, `name: ceiling-test
population: {count: 4, first: "1000", password: "demo{n}"}
behaviours: {answer: 100}
calls:
  hold: 100ms
  ring_timeout: 5s
  max_concurrent: 1000
  shape: ceiling
  ceiling: {start: 2, step: 2, step_duration: 1s, max: 20, confirm: true}
audio: {verify: false, share: 0}
seed: 5
thresholds: ["attempted <= 6"]
`, in.Target())
	c := rep.Ceiling
	if got, want := ceilingSteps(c), []string{"2:pass", "4:pass", "6:pass", "8:FAIL", "6c:pass"}; !slices.Equal(got, want) {
		t.Fatalf("steps %v, want %v", got, want)
	}
	if c.CallsPerS != 6 || c.BrokenAt != 8 || !slices.Equal(c.Broken, []string{"attempted <= 6"}) || c.MaxReached ||
		c.Confirmed == nil || !*c.Confirmed {
		t.Fatalf("ceiling %+v: want 6 calls/s, broken at 8 by attempted <= 6, confirmed", c)
	}
	if h := c.Headline(); h != "ceiling_calls_per_s 6 (broke at 8: attempted <= 6), confirmed" {
		t.Errorf("headline %q", h)
	}
	total := 0
	for i, s := range c.Steps {
		// each step's window holds its own calls only
		if want := int(s.Offered); s.Attempted != want || s.Skipped != 0 {
			t.Errorf("step %d at %v calls/s: attempted %d skipped %d, want %d and 0", i+1, s.Offered, s.Attempted, s.Skipped, want)
		}
		if s.Achieved <= 0 || s.Achieved > s.Offered || s.Answered > s.Attempted || len(s.Thresholds) != 1 {
			t.Errorf("step %+v", s)
		}
		total += s.Attempted
	}
	// the steps' time series follow one another
	started := 0
	for i, p := range rep.Series.Points {
		if i > 0 && p.T <= rep.Series.Points[i-1].T {
			t.Fatalf("series points out of order: %+v", rep.Series.Points)
		}
		started += p.Started
	}
	if started != total {
		t.Errorf("the series started %d calls, the steps %d", started, total)
	}
	// the rest of the report merges the steps
	if rep.Calls.Attempted != total || rep.Registrations.OK < 4*len(c.Steps) || len(rep.Thresholds) != 0 {
		t.Errorf("merged report: calls %+v registrations %+v thresholds %v, want the %d calls of the steps", rep.Calls, rep.Registrations, rep.Thresholds, total)
	}
}

// TestCeilingAtATrunksCallLimit: the PBX's trunk takes at most 5 calls
// at once (peers[].max_calls) and turns the 6th away (480, no peer
// left). Every call of a step is still up when the step's last one
// starts (held 4 s, a step places its calls within 1 s), and each step
// starts with none in progress (a step waits for its calls to end), so a
// step of n calls has n up at once: 2 and 4 calls/s hold, 6 breaks
// "failures == 0" with 480s in its failures by code. The ceiling is 4.
func TestCeilingAtATrunksCallLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three 5 s steps")
	}
	checkLeaks(t)
	sc, err := scenario.Parse("trunk-ceiling.yaml", []byte(`name: trunk-ceiling
population: {count: 2, first: "1000", password: "demo{n}"}
behaviours: {answer: 100}
calls:
  hold: 4s
  ring_timeout: 8s
  max_concurrent: 1000
  shape: ceiling
  ceiling: {start: 2, step: 2, step_duration: 1s, max: 10}
audio: {verify: false, share: 0}
seed: 3
thresholds: ["failures == 0"]
carriers:
  - name: telco
    answer: {action: answer}
    outbound: {percent: 100, prefix: "9", numbers: {first: "0201000", count: 50}}
`))
	if err != nil {
		t.Fatal(err)
	}
	for i := range sc.Carriers {
		sc.Carriers[i].Listen = netip.AddrPortFrom(carrierIP, 0).String()
	}
	cs, err := StartCarriers(sc)
	if err != nil {
		t.Fatalf("StartCarriers: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	cfg := trunkPBX(t, cs.Carrier("telco").Addr())
	cfg.Peers[0].MaxCalls = 5
	in, err := pbxtest.Start(cfg, pbxtest.Options{})
	if err != nil {
		t.Fatalf("start pbx: %v", err)
	}
	t.Cleanup(func() { _ = in.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, sc, Target{Addr: in.Target()}, WithLocalIP(netip.MustParseAddr("127.0.0.1")), WithCarriers(cs))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var text strings.Builder
	_ = rep.Text(&text)
	t.Log("\n" + text.String())
	c := rep.Ceiling
	if got, want := ceilingSteps(c), []string{"2:pass", "4:pass", "6:FAIL"}; !slices.Equal(got, want) {
		t.Fatalf("steps %v, want %v", got, want)
	}
	if c.CallsPerS != 4 || c.BrokenAt != 6 || !slices.Equal(c.Broken, []string{"failures == 0"}) {
		t.Fatalf("ceiling %+v: want 4 calls/s, broken at 6 by failures == 0", c)
	}
	if broke := c.Steps[2]; broke.FailuresByCode[480] != 1 || broke.Answered != 5 || broke.Codes() != "480×1" {
		t.Errorf("the step at 6 calls/s: %d answered, failures %v; want 5 through the trunk and one 480", broke.Answered, broke.FailuresByCode)
	}
}
