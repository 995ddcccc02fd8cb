package scenario

import (
	"math"
	"time"

	"pbxlab/sim/threshold"
)

// ShapeCeiling finds the highest call rate the target sustains: steps of
// rising rate (calls.ceiling), each judged on its own window, until one
// breaks a threshold (sim.Run; the report's Ceiling).
const ShapeCeiling = "ceiling"

// MaxCeilingSteps bounds the steps of a ceiling search.
const MaxCeilingSteps = 1000

// Ceiling is the "find the ceiling" load (calls.ceiling, with calls.shape
// ceiling): Start calls per second for StepDuration, then Step more (or
// Factor times as many) for the next step, up to Max; every step is judged
// by Thresholds on that step's calls alone, and the search stops at the
// first step that breaks one. The last step that passed is the ceiling.
type Ceiling struct {
	// Start is the first step's rate, calls per second.
	Start float64 `yaml:"start"`
	// Step is added to the rate at each step (additive); set it or Factor.
	Step float64 `yaml:"step"`
	// Factor multiplies the rate at each step (multiplicative, > 1).
	Factor float64 `yaml:"factor"`
	// StepDuration is how long each step places calls.
	StepDuration time.Duration `yaml:"step_duration"`
	// Max is the highest rate tried; the last step is Max when the
	// sequence steps over it.
	Max float64 `yaml:"max"`
	// Thresholds judge each step; default the scenario's thresholds.
	Thresholds []string `yaml:"thresholds"`
	// Confirm re-runs the last good rate once after the search: the
	// ceiling holds only if it passes again.
	Confirm bool `yaml:"confirm"`
	// Checks are the parsed thresholds judging each step (filled by
	// Parse from Thresholds or the scenario's).
	Checks []threshold.Threshold `yaml:"-"`
}

// Rates is the staircase of rates the search tries when no step breaks:
// Start, then by Step or Factor up to Max (the last one clamped to Max),
// at most MaxCeilingSteps+1 of them. Nil when the parameters cannot make
// a staircase (validate reports why).
func (c Ceiling) Rates() []float64 {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	if bad(c.Start) || bad(c.Max) || bad(c.Step) || bad(c.Factor) || c.Start <= 0 || c.Max < c.Start ||
		(c.Step > 0) == (c.Factor > 1) || c.Step < 0 || (c.Factor != 0 && c.Factor <= 1) {
		return nil
	}
	const eps = 1e-9
	var out []float64
	r := c.Start
	for len(out) <= MaxCeilingSteps {
		out = append(out, r)
		if r >= c.Max-eps {
			break
		}
		next := r + c.Step
		if c.Factor > 1 {
			next = r * c.Factor
		}
		// round away float noise (0.1+0.2): rates to a micro-call per second
		r = min(math.Round(next*1e6)/1e6, c.Max)
	}
	return out
}

// StepScenario is the scenario of one step at rate: a steady load of
// rate calls per second for the step's duration, judged by the ceiling's
// thresholds.
func (s *Scenario) StepScenario(rate float64) *Scenario {
	st := *s
	st.Calls.Shape = ShapeSteady
	st.Calls.Rate = rate
	st.Calls.Duration = s.Calls.Ceiling.StepDuration
	st.Calls.Ceiling = Ceiling{}
	st.Checks = s.Calls.Ceiling.Checks
	st.Thresholds = s.Calls.Ceiling.Thresholds
	return &st
}

// ceilingDefaults makes calls.duration the staircase's length (what the
// plan and RunLength read) and the scenario's thresholds the steps'
// judges when calls.ceiling.thresholds is left out.
func (s *Scenario) ceilingDefaults() {
	c := &s.Calls
	if c.Shape != ShapeCeiling {
		return
	}
	if c.Duration == 0 && c.Ceiling.StepDuration > 0 {
		c.Duration = time.Duration(len(c.Ceiling.Rates())) * c.Ceiling.StepDuration
	}
}

// validateCeiling checks calls.ceiling; raw are the calls as written.
// It runs after parseThresholds (the scenario's Checks are the default
// judges).
func (s *Scenario) validateCeiling(raw Calls, add func(field, format string, args ...any)) {
	c := s.Calls.Ceiling
	if s.Calls.Shape != ShapeCeiling {
		if !raw.Ceiling.isZero() {
			add("calls.ceiling", "only with calls.shape ceiling (shape is %s)", s.Calls.Shape)
		}
		return
	}
	if raw.Rate != 0 || raw.BHCA != 0 {
		add("calls.rate", "not with calls.shape ceiling: the rates are calls.ceiling.start, step or factor, and max")
	}
	if raw.Duration != 0 {
		add("calls.duration", "not with calls.shape ceiling: each step lasts calls.ceiling.step_duration")
	}
	rate := func(field string, v float64) bool {
		if math.IsNaN(v) || v <= 0 || v > MaxRate {
			add(field, "must be a rate in (0, %v] calls per second, got %v", MaxRate, v)
			return false
		}
		return true
	}
	okStart, okMax := rate("calls.ceiling.start", c.Start), rate("calls.ceiling.max", c.Max)
	if okStart && okMax && c.Max < c.Start {
		add("calls.ceiling.max", "must be at least calls.ceiling.start (%v), got %v", c.Start, c.Max)
	}
	switch {
	case c.Step != 0 && c.Factor != 0:
		add("calls.ceiling.step", "set step (added each step) or factor (multiplied each step), not both (got step %v and factor %v)", c.Step, c.Factor)
	case c.Step == 0 && c.Factor == 0:
		add("calls.ceiling.step", "is required: step (calls/s added each step) or factor (rate multiplied each step)")
	case c.Factor != 0 && (math.IsNaN(c.Factor) || math.IsInf(c.Factor, 0) || c.Factor <= 1 || c.Factor > 100):
		add("calls.ceiling.factor", "must be more than 1 and at most 100, got %v", c.Factor)
	case c.Step != 0 && (math.IsNaN(c.Step) || c.Step < 0 || c.Step > MaxRate):
		add("calls.ceiling.step", "must be a rate in (0, %v] calls per second, got %v", MaxRate, c.Step)
	}
	switch d := c.StepDuration; {
	case d <= 0:
		add("calls.ceiling.step_duration", "must be positive, got %s", d)
	case okStart && c.Start*d.Seconds() < 1:
		add("calls.ceiling.step_duration", "must plan at least one call at the start rate (%v calls/s × %s < 1)", c.Start, d)
	}
	if rates := c.Rates(); len(rates) > MaxCeilingSteps {
		add("calls.ceiling", "takes more than %d steps from %v to %v: raise step or factor", MaxCeilingSteps, c.Start, c.Max)
	}
	s.parseCeilingThresholds(add)
}

// parseCeilingThresholds fills Calls.Ceiling.Checks: its own thresholds,
// else the scenario's (already parsed into Checks).
func (s *Scenario) parseCeilingThresholds(add func(field, format string, args ...any)) {
	c := &s.Calls.Ceiling
	c.Checks = nil
	switch {
	case len(c.Thresholds) > 0 && len(s.Thresholds) > 0:
		add("calls.ceiling.thresholds", "set thresholds or calls.ceiling.thresholds, not both: with calls.shape ceiling they judge each step")
		return
	case len(c.Thresholds) == 0 && len(s.Thresholds) == 0:
		add("calls.ceiling.thresholds", "a ceiling needs thresholds to judge each step (here or in thresholds), e.g. \"answer_ratio > 0.99\"")
		return
	case len(c.Thresholds) == 0:
		c.Thresholds, c.Checks = s.Thresholds, s.Checks
		return
	}
	c.Checks = s.parseThresholdList(c.Thresholds, "calls.ceiling.thresholds", add)
}

func (c Ceiling) isZero() bool {
	return c.Start == 0 && c.Step == 0 && c.Factor == 0 && c.StepDuration == 0 && c.Max == 0 &&
		len(c.Thresholds) == 0 && !c.Confirm
}
