package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pbxlab/internal/leakcheck"
	"pbxlab/pbx/pbxtest"
)

const thresholdScenario = `name: tiny
population: {count: 2, first: "1000", password: "demo{n}", register_expires: 3600s, transport: udp}
behaviours: {answer: 100, busy: 0, no_answer: 0, reject: 0}
calls: {rate: 1, hold: 200ms, duration: 1s, max_concurrent: 1, ring_timeout: 2s}
seed: 1
thresholds:
`

// TestSimThresholdsDecideTheExitCode: the report lists every threshold
// with its value and verdict; one failing makes `pbxlab sim` exit 1; a bad
// one stops the run before anything is sent, naming file:line:field.
// --seed replaces the scenario's seed, and the report prints it.
func TestSimThresholdsDecideTheExitCode(t *testing.T) {
	leakcheck.Check(t, 1) // os/signal's loop, as in TestSimSetsSipgoUpLikeTheSimTests
	in, err := pbxtest.Start(nil, pbxtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	dir := t.TempDir()
	for _, tc := range []struct {
		name       string
		thresholds string
		args       []string
		code       int
		stdout     string
		stderr     string
	}{
		{"pass", `  - "failures == 0"
  - "answer_ratio >= 100%"
  - "setup_p99 < 5s"
`, nil, 0, "thresholds     pass  failures == 0", ""},
		{"seed flag", `  - "attempted == 1"
`, []string{"--seed", "42"}, 0, ", seed 42)", ""},
		{"one fails", `  - "failures == 0"
  - "answered > 1000"
`, nil, 1, "FAIL  answered > 1000", "1 of 2 thresholds failed: answered > 1000"},
		{"unknown metric", `  - "failures == 0"
  - "setup_p999 < 1s"
`, nil, 1, "", "unknown metric \"setup_p999\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, tc.name+".yaml")
			if err := os.WriteFile(file, []byte(thresholdScenario+tc.thresholds), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			code := run(append([]string{"sim", file, "--target", in.Target()}, tc.args...), &out, &errb, inProcessSetup())
			if code != tc.code || !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errb.String(), tc.stderr) {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out.String(), errb.String())
			}
			if tc.name == "unknown metric" {
				if want := file + ":8: thresholds[1]:"; !strings.Contains(errb.String(), want) {
					t.Fatalf("stderr %q lacks %q", errb.String(), want)
				}
				if out.Len() != 0 {
					t.Fatalf("a report for a scenario that did not load: %s", out.String())
				}
			}
		})
	}
}

// TestSimPlanIsTheSeeds: `pbxlab sim --plan N` prints the plan without
// sending anything (no PBX here); the same seed prints the same plan.
func TestSimPlanIsTheSeeds(t *testing.T) {
	file := filepath.Join("..", "..", "scenarios", "busy-hour.yaml")
	plan := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(append([]string{"sim", file, "--target", "127.0.0.1:9", "--plan", "50"}, args...), &out, &errb, inProcessSetup()); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		return out.String()
	}
	a, b, c := plan(), plan(), plan("--seed", "7")
	if a != b {
		t.Fatalf("the same seed printed two plans:\n%s\n%s", a, b)
	}
	if a == c || !strings.Contains(a, "seed 2026") || !strings.Contains(c, "seed 7") {
		t.Fatalf("seeds 2026 and 7:\n%s\n%s", a, c)
	}
	if n := strings.Count(a, "\n"); n != 52 {
		t.Fatalf("%d lines, want a header, the columns and 50 calls:\n%s", n, a)
	}
}
