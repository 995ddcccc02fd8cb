package scenario

import (
	"errors"
	"strings"
	"testing"
)

// modelBase has calls on line 5 and audio on line 6; %s is the rest of calls.
const modelBase = `name: model
population: {count: 50, first: "1000", password: "demo{n}"}
behaviours: {answer: 80, busy: 10, no_answer: 5, reject: 5}
answer_delay: 1s
calls: {%s}
audio: {verify: true%s}
`

func TestCallModelErrorsNameFileLineAndField(t *testing.T) {
	tests := []struct {
		name, calls, audio string
		line               int
		field, msg         string
	}{
		{"bhca and rate", "duration: 20s, rate: 5, bhca: 2, hold: 3s", "", 5, "calls.bhca", "not both"},
		{"negative bhca", "duration: 20s, bhca: -2, hold: 3s", "", 5, "calls.bhca", "0 or more"},
		{"bhca beyond max rate", "duration: 20s, bhca: 1000000000, hold: 3s", "", 5, "calls.bhca", "more than"},
		{"negative rate", "duration: 20s, rate: -5, hold: 3s", "", 5, "calls.rate", "0 or more"},
		{"rate × duration beyond the cap", "rate: 10000, hold: 3s, duration: 2h", "", 5, "calls.duration", "more than 10000000"},
		{"bad arrivals", "duration: 20s, rate: 5, hold: 3s, arrivals: bursty", "", 5, "calls.arrivals", "uniform or poisson"},
		{"bad hold kind", "duration: 20s, rate: 5, hold_dist: {kind: pareto, mean: 3s}", "", 5, "calls.hold_dist.kind", "fixed, exponential or lognormal"},
		{"hold and mean", "duration: 20s, rate: 5, hold: 3s, hold_dist: {kind: exponential, mean: 90s}", "", 5, "calls.hold_dist.mean", "not both"},
		{"sigma without lognormal", "duration: 20s, rate: 5, hold_dist: {kind: exponential, mean: 9s, sigma: 1}", "", 5, "calls.hold_dist.sigma", "only with kind lognormal"},
		{"sigma too wide", "duration: 20s, rate: 5, hold_dist: {kind: lognormal, mean: 9s, sigma: 7}", "", 5, "calls.hold_dist.sigma", "(0, 3]"},
		{"min too short for audio", "duration: 20s, rate: 5, hold_dist: {kind: exponential, mean: 9s, min: 100ms}", "", 5, "calls.hold_dist.min", "at least 500ms"},
		{"max below min", "duration: 20s, rate: 5, hold_dist: {kind: exponential, mean: 9s, min: 2s, max: 1s}", "", 5, "calls.hold_dist.max", "at least min"},
		{"min on fixed", "duration: 20s, rate: 5, hold: 3s, hold_dist: {min: 1s}", "", 5, "calls.hold_dist", "only with kind"},
		{"bad pattern", "duration: 20s, rate: 5, hold: 3s, pattern: nearby", "", 5, "calls.pattern", "random, local or remote"},
		{"remote without numbers", "duration: 20s, rate: 5, hold: 3s, pattern: remote", "", 5, "calls.pattern", "needs calls.remote"},
		{"local with remote", `duration: 20s, rate: 5, hold: 3s, pattern: local, remote: {first: "2000", count: 2}`, "", 5, "calls.pattern", "calls.remote is set"},
		{"block without local", "duration: 20s, rate: 5, hold: 3s, block: 10", "", 5, "calls.block", "only with calls.pattern local"},
		{"block of one", "duration: 20s, rate: 5, hold: 3s, pattern: local, block: 1", "", 5, "calls.block", "at least 2"},
		{"bad shape", "duration: 20s, rate: 5, hold: 3s, shape: sine", "", 5, "calls.shape", "steady, ramp, spike, soak or ceiling"},
		{"ramp on a steady shape", "duration: 20s, rate: 5, hold: 3s, ramp: {to: 9}", "", 5, "calls.ramp", "only with calls.shape ramp"},
		{"spike without peak", "duration: 20s, rate: 5, hold: 3s, shape: spike, spike: {at: 5s, length: 2s}", "", 5, "calls.spike.peak", "positive"},
		{"spike after the window", "duration: 20s, rate: 5, hold: 3s, shape: spike, spike: {peak: 9, at: 30s, length: 2s}", "", 5, "calls.spike.at", "within calls.duration"},
		{"negative ramp", "duration: 20s, hold: 3s, shape: ramp, ramp: {from: -1, to: 5}", "", 5, "calls.ramp.from", "0..10000"},
		{"warm-up longer than the run", "duration: 20s, rate: 5, hold: 3s, shape: soak, soak: {warmup: 1h}", "", 5, "calls.soak.warmup", "0..calls.duration"},
		{"share above one", "duration: 20s, rate: 5, hold: 3s", ", share: 1.5", 6, "audio.share", "fraction 0..1"},
		{"ramp without hold", "duration: 20s, shape: ramp, ramp: {to: 5}", "", 5, "calls.hold", "positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(strings.Replace(modelBase, "%s", tc.calls, 1), "%s", tc.audio, 1)
			_, err := Parse("m.yaml", []byte(doc))
			if err == nil {
				t.Fatalf("accepted:\n%s", doc)
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

// unjoin splits an errors.Join.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestCallModelAccepts(t *testing.T) {
	for _, calls := range []string{ // each with duration: 20s
		"bhca: 2, hold: 3s",
		"rate: 5, hold_dist: {kind: exponential, mean: 90s}",
		"rate: 5, hold: 90s, hold_dist: {kind: lognormal, sigma: 0.8, max: 10m}",
		"rate: 5, hold: 3s, pattern: local, block: 10",
		"hold: 3s, shape: ramp, ramp: {from: 1, to: 10, over: 10s}",
		"rate: 1, hold: 3s, shape: spike, spike: {peak: 20, at: 5s, length: 1s}",
		"rate: 1, hold: 3s, shape: soak, arrivals: poisson",
	} {
		doc := strings.Replace(strings.Replace(modelBase, "%s", "duration: 20s, "+calls, 1), "%s", ", share: 0.25", 1)
		if _, err := Parse("m.yaml", []byte(doc)); err != nil {
			t.Errorf("%s: %v", calls, err)
		}
	}
}

// TestThresholdsTheRunCannotMeasure: a threshold on audio without audio
// checks, or on stream quality without media, is an error at load time.
func TestThresholdsTheRunCannotMeasure(t *testing.T) {
	tests := []struct {
		audio, thresholds, field, msg string
	}{
		{"{verify: false}", `["failures == 0", "audio_ok > 0.9"]`, "thresholds[1]", "needs audio.verify"},
		{"{verify: true, share: 0}", `["audio_failed == 0"]`, "thresholds[0]", "needs audio.verify"},
		{"{verify: true, share: 0}", `["mos_min > 4"]`, "thresholds[0]", "needs media"},
		{"{verify: false, share: 0}", `["loss_max < 1%"]`, "thresholds[0]", "needs media"},
	}
	for _, tc := range tests {
		doc := strings.Replace(strings.Replace(modelBase, "%s", "duration: 20s, rate: 5, hold: 3s", 1), "{verify: true%s}", tc.audio, 1) +
			"thresholds: " + tc.thresholds + "\n"
		_, err := Parse("m.yaml", []byte(doc))
		var se *Error
		if !errors.As(err, &se) || se.Line != 7 || se.Field != tc.field || !strings.Contains(se.Msg, tc.msg) {
			t.Errorf("%s %s: %v, want m.yaml:7: %s: ...%s...", tc.audio, tc.thresholds, err, tc.field, tc.msg)
		}
	}
	doc := strings.Replace(modelBase, "%s", "duration: 20s, rate: 5, hold: 3s", 1)
	doc = strings.Replace(doc, "%s", ", share: 0.5", 1) + `thresholds: ["audio_ok > 0.9", "mos_p5 > 4", "jitter_p95 < 20ms"]` + "\n"
	if _, err := Parse("m.yaml", []byte(doc)); err != nil {
		t.Errorf("audio thresholds with media rejected: %v", err)
	}
}
