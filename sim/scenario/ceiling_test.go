package scenario

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// ceilingBase has calls on line 4 (%s: the ceiling's fields) and the
// thresholds on line 5.
const ceilingBase = `name: ceiling
population: {count: 10, first: "1000", password: "demo{n}"}
behaviours: {answer: 100}
calls: {hold: 1s, shape: ceiling%s}
thresholds: ["answer_ratio > 0.99", "setup_p99 < 200ms"]
`

func ceilingDoc(calls string) string { return strings.Replace(ceilingBase, "%s", calls, 1) }

// TestCeilingErrorsNameFileLineAndField: every bad ceiling is an error
// naming m.yaml, the line and the field, at load time.
func TestCeilingErrorsNameFileLineAndField(t *testing.T) {
	const ok = ", ceiling: {start: 5, step: 5, step_duration: 10s, max: 50}"
	tests := []struct {
		name, calls string
		line        int
		field, msg  string
	}{
		{"no start", ", ceiling: {step: 5, step_duration: 10s, max: 50}", 4, "calls.ceiling.start", "(0, 10000]"},
		{"negative start", ", ceiling: {start: -1, step: 5, step_duration: 10s, max: 50}", 4, "calls.ceiling.start", "(0, 10000]"},
		{"max beyond the cap", ", ceiling: {start: 5, step: 5, step_duration: 10s, max: 20000}", 4, "calls.ceiling.max", "(0, 10000]"},
		{"max below start", ", ceiling: {start: 50, step: 5, step_duration: 10s, max: 10}", 4, "calls.ceiling.max", "at least calls.ceiling.start"},
		{"no step", ", ceiling: {start: 5, step_duration: 10s, max: 50}", 4, "calls.ceiling.step", "is required"},
		{"step and factor", ", ceiling: {start: 5, step: 5, factor: 2, step_duration: 10s, max: 50}", 4, "calls.ceiling.step", "not both"},
		{"negative step", ", ceiling: {start: 5, step: -5, step_duration: 10s, max: 50}", 4, "calls.ceiling.step", "(0, 10000]"},
		{"factor of one", ", ceiling: {start: 5, factor: 1, step_duration: 10s, max: 50}", 4, "calls.ceiling.factor", "more than 1"},
		{"no step duration", ", ceiling: {start: 5, step: 5, max: 50}", 4, "calls.ceiling.step_duration", "positive"},
		{"step without a call", ", ceiling: {start: 0.5, step: 5, step_duration: 1s, max: 50}", 4, "calls.ceiling.step_duration", "at least one call"},
		{"too many steps", ", ceiling: {start: 1, step: 0.001, step_duration: 1s, max: 10000}", 4, "calls.ceiling", "more than 1000 steps"},
		{"unknown field", ", ceiling: {start: 5, stride: 5, step_duration: 10s, max: 50}", 4, "calls.ceiling.stride", "unknown field"},
		{"duration text", ", ceiling: {start: 5, step: 5, step_duration: ten, max: 50}", 4, "calls.ceiling.step_duration", ""},
		{"rate with a ceiling", ", rate: 5" + ok, 4, "calls.rate", "not with calls.shape ceiling"},
		{"duration with a ceiling", ", duration: 30s" + ok, 4, "calls.duration", "not with calls.shape ceiling"},
		{"thresholds twice", ok[:len(ok)-1] + `, thresholds: ["failures == 0"]}`, 4, "calls.ceiling.thresholds", "not both"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := ceilingDoc(tc.calls)
			_, err := Parse("m.yaml", []byte(doc))
			if err == nil {
				t.Fatalf("accepted:\n%s", doc)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%v does not match ErrInvalid", err)
			}
			var found bool
			for _, e := range unjoin(err) {
				var se *Error
				if errors.As(e, &se) && se.Field == tc.field && se.Line == tc.line && strings.Contains(se.Msg, tc.msg) &&
					strings.HasPrefix(se.Error(), "m.yaml:") {
					found = true
				}
			}
			if !found {
				t.Fatalf("no m.yaml:%d: %s: ...%s... in\n%v", tc.line, tc.field, tc.msg, err)
			}
		})
	}
}

// TestCeilingThresholds: the steps are judged by calls.ceiling.thresholds
// or, by default, the scenario's; one of the two is required, a bad one
// is named by its item.
func TestCeilingThresholds(t *testing.T) {
	const calls = ", ceiling: {start: 5, step: 5, step_duration: 10s, max: 50%s}"
	noTop := strings.Replace(ceilingBase, "thresholds: [\"answer_ratio > 0.99\", \"setup_p99 < 200ms\"]\n", "", 1)
	for _, tc := range []struct {
		name, doc  string
		want       []string
		field, msg string
	}{
		{"the scenario's by default", ceilingDoc(strings.Replace(calls, "%s", "", 1)), []string{"answer_ratio > 0.99", "setup_p99 < 200ms"}, "", ""},
		{"its own", strings.Replace(noTop, "%s", strings.Replace(calls, "%s", `, thresholds: ["failures == 0"]`, 1), 1), []string{"failures == 0"}, "", ""},
		{"none", strings.Replace(noTop, "%s", strings.Replace(calls, "%s", "", 1), 1), nil, "calls.ceiling.thresholds", "needs thresholds"},
		{"a bad one", strings.Replace(noTop, "%s", strings.Replace(calls, "%s", `, thresholds: ["failures == 0", "setup_p999 < 1s"]`, 1), 1), nil,
			"calls.ceiling.thresholds[1]", "unknown metric"},
		{"audio without audio", strings.Replace(noTop, "%s", strings.Replace(calls, "%s", `, thresholds: ["audio_ok > 0.9"]`, 1), 1), nil,
			"calls.ceiling.thresholds[0]", "needs audio.verify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := Parse("m.yaml", []byte(tc.doc))
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, c := range sc.Calls.Ceiling.Checks {
					got = append(got, c.Text)
				}
				if !slices.Equal(got, tc.want) || !slices.Equal(sc.StepScenario(5).Thresholds, tc.want) {
					t.Fatalf("steps judged by %q (step scenario %q), want %q", got, sc.StepScenario(5).Thresholds, tc.want)
				}
				return
			}
			var se *Error
			if !errors.As(err, &se) || se.Field != tc.field || se.Line != 4 || !strings.Contains(se.Msg, tc.msg) {
				t.Fatalf("%v, want m.yaml:4: %s: ...%s...", err, tc.field, tc.msg)
			}
		})
	}
}

// TestCeilingRates: the staircase is additive or multiplicative, its last
// step clamped to max, and a step is a steady run at its rate.
func TestCeilingRates(t *testing.T) {
	for _, tc := range []struct {
		ceiling string
		want    []float64
	}{
		{"{start: 5, step: 5, step_duration: 2s, max: 20}", []float64{5, 10, 15, 20}},
		{"{start: 5, step: 10, step_duration: 2s, max: 20}", []float64{5, 15, 20}},
		{"{start: 0.1, step: 0.1, step_duration: 10s, max: 0.5}", []float64{0.1, 0.2, 0.3, 0.4, 0.5}},
		{"{start: 10, factor: 2, step_duration: 2s, max: 100}", []float64{10, 20, 40, 80, 100}},
		{"{start: 10, factor: 1.5, step_duration: 2s, max: 30}", []float64{10, 15, 22.5, 30}},
		{"{start: 7, step: 1, step_duration: 2s, max: 7}", []float64{7}},
	} {
		sc, err := Parse("m.yaml", []byte(ceilingDoc(", ceiling: "+tc.ceiling)))
		if err != nil {
			t.Fatalf("%s: %v", tc.ceiling, err)
		}
		c := sc.Calls.Ceiling
		if got := c.Rates(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: rates %v, want %v", tc.ceiling, got, tc.want)
		}
		if want := time.Duration(len(tc.want)) * c.StepDuration; sc.Calls.Duration != want {
			t.Errorf("%s: calls.duration %s, want the staircase's %s", tc.ceiling, sc.Calls.Duration, want)
		}
		st := sc.StepScenario(tc.want[1%len(tc.want)])
		if st.Calls.Shape != ShapeSteady || st.Calls.Rate != tc.want[1%len(tc.want)] || st.Calls.Duration != c.StepDuration ||
			len(st.Checks) != 2 || st.Calls.Placing() != true {
			t.Errorf("%s: step scenario %+v", tc.ceiling, st.Calls)
		}
		// the plan, as if no step broke, is the staircase's calls
		var n int
		var steps []float64
		for range NewPlan(sc, 1).Take(100000) {
			n++
		}
		for _, r := range tc.want {
			steps = append(steps, r*c.StepDuration.Seconds())
		}
		if want := int(sumRound(steps)); n < want-len(steps) || n > want+len(steps) {
			t.Errorf("%s: the plan has %d calls, the staircase %d", tc.ceiling, n, want)
		}
	}
}

func sumRound(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s
}

// TestCeilingOnlyWithItsShape: calls.ceiling with another shape is an error.
func TestCeilingOnlyWithItsShape(t *testing.T) {
	doc := strings.Replace(ceilingDoc(", ceiling: {start: 5, step: 5, step_duration: 10s, max: 50}"), "shape: ceiling", "rate: 5, duration: 10s", 1)
	_, err := Parse("m.yaml", []byte(doc))
	var se *Error
	if !errors.As(err, &se) || se.Field != "calls.ceiling" || se.Line != 4 || !strings.Contains(se.Msg, "only with calls.shape ceiling") {
		t.Fatalf("%v", err)
	}
}
