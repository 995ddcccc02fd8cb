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
	// the rest of the report merges the steps
	if rep.Calls.Attempted != total || rep.Registrations.OK < 4*len(c.Steps) || len(rep.Thresholds) != 0 {
		t.Errorf("merged report: calls %+v registrations %+v thresholds %v, want the %d calls of the steps", rep.Calls, rep.Registrations, rep.Thresholds, total)
	}
}
