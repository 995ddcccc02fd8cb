package report

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"pbxlab/sim/threshold"
)

// Ceiling is the outcome of a "find the ceiling" run (calls.shape
// ceiling): every step tried, the last rate that passed its thresholds
// and the threshold that broke the step after it.
type Ceiling struct {
	// CallsPerS is the ceiling: the last step's rate that passed every
	// threshold; 0 when the first step broke already.
	CallsPerS float64 `json:"ceiling_calls_per_s"`
	// Max is the highest rate the search would try.
	Max float64 `json:"max_calls_per_s"`
	// MaxReached is true when every step passed up to Max: the ceiling
	// is at least Max.
	MaxReached bool `json:"max_reached"`
	// BrokenAt is the rate of the step that broke (0 when none did) and
	// Broken the thresholds it failed, as written.
	BrokenAt float64  `json:"broken_at_calls_per_s,omitempty"`
	Broken   []string `json:"broken,omitempty"`
	// Confirmed says how the re-run of the ceiling rate went (nil: no
	// confirmation asked or no good rate to confirm).
	Confirmed *bool `json:"confirmed,omitempty"`
	// Thresholds judge each step (on that step's calls only).
	Thresholds []string `json:"thresholds"`
	// Steps are the steps in the order run, the confirmation last.
	Steps []CeilingStep `json:"steps"`
}

// CeilingStep is one step of a ceiling search, measured on its own
// window: its calls only.
type CeilingStep struct {
	// Step numbers the steps from 1 (the confirmation repeats the number
	// of the step it re-runs).
	Step int `json:"step"`
	// Confirm marks the re-run of the ceiling rate.
	Confirm bool `json:"confirm,omitempty"`
	// Offered is the step's rate, calls per second; Achieved the calls
	// actually started per second of the step (calls skipped at
	// max_concurrent and a scheduler falling behind lower it).
	Offered  float64 `json:"offered_calls_per_s"`
	Achieved float64 `json:"achieved_calls_per_s"`
	// Attempted, Answered and Skipped count the step's calls.
	Attempted int `json:"attempted"`
	Answered  int `json:"answered"`
	Skipped   int `json:"skipped"`
	// AnswerRatio is Answered/Attempted (0 without an attempt).
	AnswerRatio float64 `json:"answer_ratio"`
	// SetupP50, SetupP99 are the step's setup times (0: none answered).
	SetupP50 time.Duration `json:"-"`
	SetupP99 time.Duration `json:"-"`
	// FailuresByCode counts the step's calls that ended without a 2xx,
	// by final status (0: no final response).
	FailuresByCode map[int]int `json:"failures_by_code,omitempty"`
	// Thresholds are the step's verdicts; Pass is all of them passing.
	Thresholds []threshold.Result `json:"thresholds"`
	Pass       bool               `json:"pass"`
}

// MarshalJSON renders the setup times in milliseconds.
func (s CeilingStep) MarshalJSON() ([]byte, error) {
	type plain CeilingStep
	return json.Marshal(struct {
		plain
		SetupP50 float64 `json:"setup_p50_ms"`
		SetupP99 float64 `json:"setup_p99_ms"`
	}{plain(s), ms(s.SetupP50), ms(s.SetupP99)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *CeilingStep) UnmarshalJSON(data []byte) error {
	type plain CeilingStep
	var w struct {
		plain
		SetupP50 float64 `json:"setup_p50_ms"`
		SetupP99 float64 `json:"setup_p99_ms"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*s = CeilingStep(w.plain)
	s.SetupP50 = time.Duration(w.SetupP50 * float64(time.Millisecond))
	s.SetupP99 = time.Duration(w.SetupP99 * float64(time.Millisecond))
	return nil
}

// NewCeilingStep summarises the report of one step run at offered calls
// per second whose calls were placed over window (at least the step's
// duration); its thresholds must be checked already.
func NewCeilingStep(step int, offered float64, window time.Duration, r *Report) CeilingStep {
	s := CeilingStep{
		Step:       step,
		Offered:    offered,
		Attempted:  r.Calls.Attempted,
		Answered:   r.Calls.Answered,
		Skipped:    r.Calls.Skipped,
		SetupP50:   r.SetupTime.P50,
		SetupP99:   r.SetupTime.P99,
		Thresholds: r.Thresholds,
		Pass:       r.ThresholdsPassed(),
	}
	if window > 0 {
		s.Achieved = float64(r.Calls.Attempted) / window.Seconds()
	}
	if r.Calls.Attempted > 0 {
		s.AnswerRatio = float64(r.Calls.Answered) / float64(r.Calls.Attempted)
	}
	for code, n := range r.Calls.ByCode {
		if code < 200 || code >= 300 {
			if s.FailuresByCode == nil {
				s.FailuresByCode = map[int]int{}
			}
			s.FailuresByCode[code] += n
		}
	}
	return s
}

// Failed lists the step's thresholds that failed, as written.
func (s CeilingStep) Failed() []string {
	var out []string
	for _, t := range s.Thresholds {
		if !t.Pass {
			out = append(out, t.Threshold)
		}
	}
	return out
}

// Verdict is "pass", or "FAIL" with the thresholds that broke and their
// measured values.
func (s CeilingStep) Verdict() string {
	if s.Pass {
		return "pass"
	}
	var parts []string
	for _, t := range s.Thresholds {
		if !t.Pass {
			parts = append(parts, fmt.Sprintf("%s (%s)", t.Threshold, t.Shown))
		}
	}
	return "FAIL " + strings.Join(parts, "; ")
}

// Codes renders FailuresByCode as "503×4, 480×1" ("-" when none).
func (s CeilingStep) Codes() string {
	if len(s.FailuresByCode) == 0 {
		return "-"
	}
	return strings.TrimSuffix(strings.TrimPrefix(codes(s.FailuresByCode), " ("), ")")
}

// Headline is the ceiling's one-line verdict:
// "ceiling_calls_per_s 12 (broke at 14: answer_ratio > 0.99)".
func (c *Ceiling) Headline() string {
	h := "ceiling_calls_per_s " + Rate(c.CallsPerS)
	switch {
	case c.MaxReached:
		h += fmt.Sprintf(" (max %s reached, nothing broke)", Rate(c.Max))
	case c.BrokenAt > 0:
		h += fmt.Sprintf(" (broke at %s: %s)", Rate(c.BrokenAt), strings.Join(c.Broken, "; "))
	}
	if c.Confirmed != nil {
		if *c.Confirmed {
			h += ", confirmed"
		} else {
			h += ", NOT confirmed (the re-run broke)"
		}
	}
	return h
}

// Rate renders calls per second compactly: "12", "7.5", "0.333".
func Rate(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// ceilingText is the report's ceiling block ("" for another shape).
func (r *Report) ceilingText() string {
	c := r.Ceiling
	if c == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  ceiling        %s\n", c.Headline())
	fmt.Fprintf(&b, "  steps judged by %s\n", strings.Join(c.Thresholds, "; "))
	fmt.Fprintf(&b, "    %-5s %9s %9s %7s %10s %10s  %-18s %s\n",
		"step", "offered/s", "achieved", "answer", "setup p50", "setup p99", "failures", "verdict")
	for _, s := range c.Steps {
		label := strconv.Itoa(s.Step)
		if s.Confirm {
			label += "c"
		}
		p50, p99 := "n/a", "n/a"
		if s.Answered > 0 {
			p50, p99 = round(s.SetupP50).String(), round(s.SetupP99).String()
		}
		fmt.Fprintf(&b, "    %-5s %9s %9.2f %7.4f %10s %10s  %-18s %s\n",
			label, Rate(s.Offered), s.Achieved, s.AnswerRatio, p50, p99, s.Codes(), s.Verdict())
	}
	return b.String()
}
