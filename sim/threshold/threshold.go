// Package threshold parses and checks k6-style pass/fail criteria of a
// simulator run, such as "setup_p99 < 200ms", "answer_ratio > 0.99" or
// "failures == 0": a metric of the run's report, a comparison and a value
// in the metric's unit. A scenario lists them (its thresholds field); the
// report shows each with the measured value and whether it passed, and
// `pbxlab sim` exits non-zero when one fails.
package threshold

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind is the unit of a metric, which decides how its values are written.
type Kind int

// Kinds of metrics.
const (
	// Duration values carry a Go duration unit ("200ms", "1.5s"); metrics
	// hold nanoseconds.
	Duration Kind = iota
	// Ratio values are a fraction 0..1 or a percentage ("0.99", "99%").
	Ratio
	// Count values are whole numbers of events ("0", "12").
	Count
	// Percent values are percentages ("1", "1%": one percent).
	Percent
	// Score values are plain numbers (a MOS of 1..5).
	Score
)

// String names the kind as the error messages do.
func (k Kind) String() string {
	switch k {
	case Duration:
		return "a duration with a unit (e.g. 200ms)"
	case Ratio:
		return "a ratio 0..1 or a percentage (e.g. 0.99 or 99%)"
	case Count:
		return "a whole number (e.g. 0)"
	case Percent:
		return "a percentage (e.g. 1 or 1%)"
	case Score:
		return "a number (e.g. 4.0)"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Metrics are the names a threshold may use, with their kinds; the
// report (sim/report, Report.Metrics) provides every one of them.
var metrics = map[string]Kind{
	"setup_p50": Duration, "setup_p95": Duration, "setup_p99": Duration, "setup_max": Duration,
	"ring_p50": Duration, "ring_p95": Duration, "ring_p99": Duration, "ring_max": Duration,
	"jitter_p95": Duration, "delay_p50": Duration, "delay_p95": Duration,
	"answer_ratio": Ratio, "audio_ok": Ratio, "skip_ratio": Ratio,
	"attempted": Count, "answered": Count, "failures": Count, "unexpected": Count,
	"skipped": Count, "registrations_failed": Count, "audio_failed": Count,
	"loss_mean": Percent, "loss_max": Percent,
	"mos_min": Score, "mos_p5": Score, "mos_p50": Score,
}

// Metrics returns the known metric names, sorted.
func Metrics() []string {
	out := make([]string, 0, len(metrics))
	for m := range metrics {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}

// KindOf returns the kind of a known metric.
func KindOf(metric string) (Kind, bool) {
	k, ok := metrics[metric]
	return k, ok
}

// Op is a comparison.
type Op string

// Comparisons, longest first (the parser tries them in this order).
var ops = []Op{"<=", ">=", "==", "!=", "<", ">"}

// Threshold is one parsed criterion: Metric Op Value.
type Threshold struct {
	Metric string
	Op     Op
	// Value is in the metric's unit: nanoseconds for durations, a
	// fraction for ratios, percent for percentages.
	Value float64
	Kind  Kind
	// Text is the criterion as written (trimmed).
	Text string
}

// maxLen bounds a criterion; real ones are a few dozen bytes.
const maxLen = 200

// Parse reads "metric op value". Errors match ErrSyntax, ErrUnknownMetric
// or ErrValue.
func Parse(s string) (Threshold, error) {
	text := strings.TrimSpace(s)
	if len(text) > maxLen {
		return Threshold{}, fmt.Errorf("threshold: %w: longer than %d bytes", ErrSyntax, maxLen)
	}
	i := 0
	for i < len(text) && (text[i] == '_' || text[i] >= 'a' && text[i] <= 'z' || text[i] >= '0' && text[i] <= '9') {
		i++
	}
	metric := text[:i]
	if metric == "" {
		return Threshold{}, fmt.Errorf("threshold %q: %w: want \"metric op value\", e.g. \"setup_p99 < 200ms\"", text, ErrSyntax)
	}
	rest := strings.TrimLeft(text[i:], " \t")
	var op Op
	for _, o := range ops {
		if strings.HasPrefix(rest, string(o)) {
			op = o
			break
		}
	}
	if op == "" {
		return Threshold{}, fmt.Errorf("threshold %q: %w: want one of < <= > >= == != after %s", text, ErrSyntax, metric)
	}
	kind, ok := metrics[metric]
	if !ok {
		return Threshold{}, fmt.Errorf("threshold %q: %w %q (known: %s)", text, ErrUnknownMetric, metric, strings.Join(Metrics(), ", "))
	}
	raw := strings.TrimSpace(rest[len(op):])
	if raw == "" {
		return Threshold{}, fmt.Errorf("threshold %q: %w: no value after %s", text, ErrSyntax, op)
	}
	v, err := parseValue(kind, raw)
	if err != nil {
		return Threshold{}, fmt.Errorf("threshold %q: %w: %s must be %s, got %q", text, ErrValue, metric, kind, raw)
	}
	return Threshold{Metric: metric, Op: op, Value: v, Kind: kind, Text: text}, nil
}

// parseValue reads a value of the given kind.
func parseValue(kind Kind, raw string) (float64, error) {
	var v float64
	var err error
	switch kind {
	case Duration:
		var d time.Duration
		if d, err = time.ParseDuration(raw); err == nil && strings.IndexFunc(raw, isUnitRune) < 0 {
			err = ErrValue // a bare number: no unit
		}
		v = float64(d)
		if err == nil && d < 0 {
			err = ErrValue
		}
	case Ratio:
		pct := strings.HasSuffix(raw, "%")
		v, err = number(strings.TrimSuffix(raw, "%"))
		if pct {
			v /= 100
		}
		if err == nil && (v < 0 || v > 1) {
			err = ErrValue
		}
	case Count:
		var n uint64
		n, err = strconv.ParseUint(raw, 10, 53)
		v = float64(n)
	case Percent:
		v, err = number(strings.TrimSuffix(raw, "%"))
		if err == nil && (v < 0 || v > 100) {
			err = ErrValue
		}
	case Score:
		v, err = number(raw)
		if err == nil && v < 0 {
			err = ErrValue
		}
	}
	return v, err
}

func isUnitRune(r rune) bool { return r >= 'a' && r <= 'z' || r == 'µ' }

// number is a finite decimal number (no hex, no inf or nan).
func number(s string) (float64, error) {
	if s == "" || strings.ContainsAny(s, "xXpPiInN_") {
		return 0, ErrValue
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, ErrValue
	}
	return v, nil
}

// Result is a threshold checked against a run.
type Result struct {
	Threshold string `json:"threshold"`
	// Value is the measured value in the metric's unit (see Threshold.Value);
	// meaningless when Measured is false.
	Value float64 `json:"value"`
	// Measured is false when the run produced no data for the metric
	// (e.g. setup_p99 without an answered call): the threshold fails.
	Measured bool `json:"measured"`
	Pass     bool `json:"pass"`
	// Shown is Value in the metric's unit ("180ms", "0.9950", "n/a").
	Shown string `json:"shown"`
}

// Check compares the threshold with the run's metrics (Report.Metrics);
// a metric missing from them fails the threshold.
func (t Threshold) Check(values map[string]float64) Result {
	r := Result{Threshold: t.Text, Shown: "n/a"}
	v, ok := values[t.Metric]
	if !ok || math.IsNaN(v) {
		return r
	}
	r.Value, r.Measured, r.Shown = v, true, show(t.Kind, v)
	switch t.Op {
	case "<":
		r.Pass = v < t.Value
	case "<=":
		r.Pass = v <= t.Value
	case ">":
		r.Pass = v > t.Value
	case ">=":
		r.Pass = v >= t.Value
	case "==":
		r.Pass = v == t.Value
	case "!=":
		r.Pass = v != t.Value
	}
	return r
}

// CheckAll checks every threshold, in order.
func CheckAll(ts []Threshold, values map[string]float64) []Result {
	out := make([]Result, len(ts))
	for i, t := range ts {
		out[i] = t.Check(values)
	}
	return out
}

// show renders a value in its kind's unit.
func show(k Kind, v float64) string {
	switch k {
	case Duration:
		d := time.Duration(v)
		if d > 10*time.Millisecond {
			return d.Round(time.Millisecond).String()
		}
		return d.Round(10 * time.Microsecond).String()
	case Ratio:
		return strconv.FormatFloat(v, 'f', 4, 64)
	case Count:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case Percent:
		return strconv.FormatFloat(v, 'f', 2, 64) + "%"
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
