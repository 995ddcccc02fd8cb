package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pbxlab/internal/leakcheck"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/report"
)

// ceilingScenario steps 2, 4, 6... calls/s for 1 s each; a step attempts
// rate × 1 s calls (the plan's, whatever the timing), so "attempted <= N"
// breaks at a known step. %s: the ceiling's max and threshold.
const ceilingScenario = `name: ceiling
population: {count: 4, first: "1000", password: "demo{n}"}
behaviours: {answer: 100}
calls:
  hold: 100ms
  max_concurrent: 1000
  shape: ceiling
  ceiling: {start: 2, step: 2, step_duration: 1s, max: %s}
audio: {verify: false, share: 0}
seed: 1
`

// TestSimCeilingExitCodeAndReports: `pbxlab sim` on a ceiling scenario
// prints the steps and the headline, exits 0 when it found a ceiling
// (below max, or max reached) and 1 when even the start rate broke; the
// JSON report carries the same; a bad ceiling stops before anything is
// sent, naming file:line:field.
func TestSimCeilingExitCodeAndReports(t *testing.T) {
	leakcheck.Check(t, 1) // os/signal's loop, as in TestSimSetsSipgoUpLikeTheSimTests
	in, err := pbxtest.Start(nil, pbxtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	dir := t.TempDir()
	for _, tc := range []struct {
		name, max, threshold string
		code                 int
		stdout, stderr       string
		ceiling              float64
	}{
		{"found", "20", "attempted <= 4", 0, "ceiling_calls_per_s 4 (broke at 6: attempted <= 4)", "", 4},
		{"max reached", "4", "attempted <= 4", 0, "ceiling_calls_per_s 4 (max 4 reached, nothing broke)", "", 4},
		{"none", "20", "attempted <= 1", 1, "ceiling_calls_per_s 0 (broke at 2: attempted <= 1)", "no ceiling: the first step, 2 calls/s, broke attempted <= 1", 0},
		{"bad max", "-3", "attempted <= 1", 1, "", "calls.ceiling.max: must be a rate", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, tc.name+".yaml")
			doc := strings.Replace(ceilingScenario, "%s", tc.max, 1) + "thresholds: [\"" + tc.threshold + "\"]\n"
			if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			code := run([]string{"sim", file, "--target", in.Target()}, &out, &errb, inProcessSetup())
			if code != tc.code || !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errb.String(), tc.stderr) {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out.String(), errb.String())
			}
			if tc.name == "bad max" {
				if want := file + ":8: calls.ceiling.max:"; !strings.Contains(errb.String(), want) || out.Len() != 0 {
					t.Fatalf("stderr %q lacks %q, or a report was printed: %s", errb.String(), want, out.String())
				}
				return
			}
			if !strings.Contains(out.String(), "step  offered/s  achieved  answer  setup p50  setup p99") {
				t.Errorf("no step table in\n%s", out.String())
			}
			out.Reset()
			errb.Reset()
			if code := run([]string{"sim", file, "--target", in.Target(), "--json"}, &out, &errb, inProcessSetup()); code != tc.code {
				t.Fatalf("--json: exit %d\n%s", code, errb.String())
			}
			rep, err := report.Decode(&out)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Ceiling == nil || rep.Ceiling.CallsPerS != tc.ceiling || len(rep.Ceiling.Steps) == 0 ||
				rep.Ceiling.Steps[0].Attempted != 2 || rep.Ceiling.Steps[0].SetupP50 <= 0 {
				b, _ := json.Marshal(rep.Ceiling)
				t.Fatalf("JSON ceiling %s, want ceiling_calls_per_s %v", b, tc.ceiling)
			}
		})
	}
}

// TestCeilingVerdict: a ceiling found or max reached passes; no good rate
// or a confirmation that broke fails.
func TestCeilingVerdict(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		name string
		c    report.Ceiling
		fail string
	}{
		{"found", report.Ceiling{CallsPerS: 8, BrokenAt: 10, Broken: []string{"setup_p99 < 200ms"}}, ""},
		{"found and confirmed", report.Ceiling{CallsPerS: 8, BrokenAt: 10, Confirmed: &yes}, ""},
		{"max reached", report.Ceiling{CallsPerS: 50, Max: 50, MaxReached: true}, ""},
		{"none", report.Ceiling{BrokenAt: 5, Broken: []string{"answer_ratio > 0.99"}}, "no ceiling: the first step, 5 calls/s, broke answer_ratio > 0.99"},
		{"not confirmed", report.Ceiling{CallsPerS: 8, BrokenAt: 10, Confirmed: &no}, "ceiling 8 calls/s not confirmed"},
	} {
		err := simVerdict(&report.Report{Ceiling: &tc.c, Calls: report.Calls{Unexpected: 3}})
		if (tc.fail == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.fail) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.fail)
		}
	}
}
