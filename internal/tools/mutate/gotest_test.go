package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// jsonStream builds `go test -json` output from (action, test, output)
// triples.
func jsonStream(t *testing.T, evs ...[3]string) *bytes.Buffer {
	t.Helper()
	var b bytes.Buffer
	for _, e := range evs {
		line, err := json.Marshal(event{Action: e[0], Test: e[1], Output: e[2]})
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return &b
}

func TestVerdicts(t *testing.T) {
	tests := []struct {
		name      string
		run       TestRun
		events    [][3]string
		want      verdict
		detail    string
		baseline  bool
		baseWhy   string
		timedOut  bool
		buildFail bool
	}{
		{
			name: "every test failed, subtests counted in their parent",
			events: [][3]string{
				{"run", "TestA", ""}, {"run", "TestA/sub", ""},
				{"output", "TestA/sub", "    a_test.go:12: got 2, want 3\n"},
				{"fail", "TestA/sub", ""}, {"fail", "TestA", ""},
				{"run", "TestB", ""}, {"output", "TestB", "panic: boom [recovered]\n"}, {"fail", "TestB", ""},
			},
			want: vKilled, detail: "TestA: a_test.go:12: got 2, want 3", baseWhy: "tests do not pass",
		},
		{
			name: "one test still passes",
			events: [][3]string{
				{"run", "TestA", ""}, {"fail", "TestA", ""}, {"run", "TestB", ""}, {"pass", "TestB", ""},
			},
			want: vSurvived, detail: "still passing: TestB", baseWhy: "tests do not pass",
		},
		{
			name:   "a skip is no kill",
			events: [][3]string{{"run", "TestA", ""}, {"skip", "TestA", ""}},
			want:   vSurvived, detail: "still passing: TestA", baseWhy: "skipped [TestA]",
		},
		{
			name:   "all pass",
			events: [][3]string{{"run", "TestA", ""}, {"pass", "TestA", ""}},
			want:   vSurvived, detail: "still passing: TestA", baseline: true, baseWhy: "1 passed",
		},
		{
			name:   "nothing ran",
			events: [][3]string{{"output", "", "testing: warning: no tests to run\n"}},
			want:   vError, detail: "no test matches", baseWhy: "no test matches",
		},
		{
			name: "hung until go test -timeout",
			events: [][3]string{
				{"run", "TestA", ""}, {"output", "", "panic: test timed out after 2s\n"},
				{"output", "", "\trunning tests:\n"}, {"output", "", "\t\tTestA (2s)\n"}, {"fail", "TestA", ""},
			},
			want: vKilled, detail: "panic: test timed out after 2s, running TestA (2s)", timedOut: true, baseWhy: "timed out",
		},
		{
			name:   "build failure",
			events: [][3]string{{"build-output", "", "./a.go:3:1: syntax error\n"}, {"build-fail", "", ""}, {"output", "", "FAIL\tcalc [build failed]\n"}},
			want:   vError, detail: "does not build", buildFail: true, baseWhy: "does not build",
		},
		{
			name:   "fails for another reason than fails_with",
			run:    TestRun{FailsWith: `want 3`},
			events: [][3]string{{"run", "TestA", ""}, {"output", "TestA", "    a_test.go:9: nil pointer\n"}, {"fail", "TestA", ""}},
			want:   vSurvived, detail: `no output line matches fails_with "want 3"`, baseWhy: "tests do not pass",
		},
		{
			name: "fails with fails_with's message on a later line",
			run:  TestRun{FailsWith: `want 3`},
			events: [][3]string{
				{"run", "TestA", ""}, {"output", "TestA", "    a_test.go:9: setup note\n"},
				{"output", "TestA", "    a_test.go:10: got 2, want 3\n"}, {"fail", "TestA", ""},
			},
			want: vKilled, detail: "a_test.go:10: got 2, want 3", baseWhy: "tests do not pass",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := parseTestJSON(jsonStream(t, tc.events...))
			r.run = tc.run
			if r.timedOut != tc.timedOut || r.buildFailed != tc.buildFail {
				t.Errorf("timedOut %v buildFailed %v", r.timedOut, r.buildFailed)
			}
			v, detail := r.against()
			if v != tc.want || !strings.Contains(detail, tc.detail) {
				t.Errorf("against = %v %q, want %v containing %q", v, detail, tc.want, tc.detail)
			}
			ok, why := r.baseline()
			if ok != tc.baseline || !strings.Contains(why, tc.baseWhy) {
				t.Errorf("baseline = %v %q, want %v containing %q", ok, why, tc.baseline, tc.baseWhy)
			}
		})
	}
}
