package report

import (
	"fmt"
	"strings"

	"pbxlab/sim/threshold"
)

// Metrics returns the run's figures by the names thresholds use
// (sim/threshold): durations in nanoseconds, ratios as fractions, loss in
// percent. A metric the run has no data for (setup_p99 without an answered
// call, audio_ok without an audio check) is absent.
func (r *Report) Metrics() map[string]float64 {
	audioFailed := r.Audio.Checked - r.Audio.Verified
	m := map[string]float64{
		"attempted":            float64(r.Calls.Attempted),
		"answered":             float64(r.Calls.Answered),
		"unexpected":           float64(r.Calls.Unexpected),
		"skipped":              float64(r.Calls.Skipped),
		"registrations_failed": float64(r.Registrations.Failed),
		"audio_failed":         float64(audioFailed),
		// signalling a healthy PBX would not cause; audio is audio_ok's
		"failures": float64(r.Registrations.Failed + r.Calls.Unexpected),
	}
	ratio := func(name string, num, den int) {
		if den > 0 {
			m[name] = float64(num) / float64(den)
		}
	}
	ratio("answer_ratio", r.Calls.Answered, r.Calls.Attempted)
	ratio("audio_ok", r.Audio.Verified, r.Audio.Checked)
	ratio("skip_ratio", r.Calls.Skipped, r.Calls.Attempted+r.Calls.Skipped)
	percentiles := func(prefix string, p Percentiles, max bool) {
		if p.Count == 0 {
			return
		}
		m[prefix+"_p50"], m[prefix+"_p95"] = float64(p.P50), float64(p.P95)
		if max {
			m[prefix+"_p99"], m[prefix+"_max"] = float64(p.P99), float64(p.Max)
		}
	}
	percentiles("setup", r.SetupTime, true)
	percentiles("ring", r.RingTime, true)
	percentiles("delay", r.Quality.Delay, false)
	if r.Quality.Jitter.Count > 0 {
		m["jitter_p95"] = float64(r.Quality.Jitter.P95)
	}
	if q := r.Quality; q.Streams > q.Silent {
		m["loss_mean"], m["loss_max"] = q.LossMean, q.LossMax
		m["mos_min"], m["mos_p5"], m["mos_p50"] = q.MOSMin, q.MOSP5, q.MOSP50
	}
	return m
}

// CheckThresholds checks ts against the run and keeps the results in the
// report (Thresholds). It reports whether every one passed.
func (r *Report) CheckThresholds(ts []threshold.Threshold) bool {
	r.Thresholds = threshold.CheckAll(ts, r.Metrics())
	return r.ThresholdsPassed()
}

// ThresholdsPassed reports whether every checked threshold passed.
func (r *Report) ThresholdsPassed() bool {
	for _, t := range r.Thresholds {
		if !t.Pass {
			return false
		}
	}
	return true
}

// FailedThresholds lists the thresholds that failed, as written.
func (r *Report) FailedThresholds() []string {
	var out []string
	for _, t := range r.Thresholds {
		if !t.Pass {
			out = append(out, t.Threshold)
		}
	}
	return out
}

// thresholdsText is the report's threshold lines ("" without thresholds).
func (r *Report) thresholdsText() string {
	if len(r.Thresholds) == 0 {
		return ""
	}
	var b strings.Builder
	for i, t := range r.Thresholds {
		label := ""
		if i == 0 {
			label = "thresholds"
		}
		verdict := "pass"
		if !t.Pass {
			verdict = "FAIL"
		}
		fmt.Fprintf(&b, "  %-14s %-4s  %-28s (%s)\n", label, verdict, t.Threshold, t.Shown)
	}
	return b.String()
}
