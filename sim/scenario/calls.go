package scenario

import (
	"math"
	"strings"
	"time"
)

// Arrival processes (calls.arrivals).
const (
	ArrivalsUniform = "uniform"
	ArrivalsPoisson = "poisson"
)

// Hold distributions (calls.hold_dist.kind).
const (
	HoldFixed       = "fixed"
	HoldExponential = "exponential"
	HoldLognormal   = "lognormal"
)

// Callee patterns (calls.pattern).
const (
	PatternRandom = "random"
	PatternLocal  = "local"
	PatternRemote = "remote"
)

// Load shapes (calls.shape).
const (
	ShapeSteady = "steady"
	ShapeRamp   = "ramp"
	ShapeSpike  = "spike"
	ShapeSoak   = "soak"
)

// Defaults and limits of the call model.
const (
	DefaultBlock = 100
	// DefaultSigma is the lognormal hold's sigma when not given.
	DefaultSigma = 0.5
	// maxHoldFactor bounds a drawn hold at this many means by default.
	maxHoldFactor = 10
	// MaxCalls bounds the calls a scenario may plan (the integral of its
	// rate over calls.duration): a 24 h soak at 100 calls/s fits.
	MaxCalls = 10_000_000
)

// HoldDist is the distribution of hold times (calls.hold_dist).
type HoldDist struct {
	// Kind is fixed (default), exponential or lognormal.
	Kind string `yaml:"kind"`
	// Mean is the mean hold; default calls.hold.
	Mean time.Duration `yaml:"mean"`
	// Sigma is the lognormal's shape (the standard deviation of the
	// hold's logarithm); default 0.5.
	Sigma float64 `yaml:"sigma"`
	// Min and Max clamp every drawn hold; Min defaults to 500ms with
	// audio.verify (0 otherwise), Max to 10 × Mean.
	Min time.Duration `yaml:"min"`
	Max time.Duration `yaml:"max"`
}

// Ramp is a linear change of the rate: From to To (calls per second) over
// Over, then To until calls.duration.
type Ramp struct {
	From float64       `yaml:"from"` // default 0
	To   float64       `yaml:"to"`   // default calls.rate
	Over time.Duration `yaml:"over"` // default calls.duration
}

// Spike is Base calls per second with Peak from At for Length.
type Spike struct {
	Base   float64       `yaml:"base"` // default calls.rate
	Peak   float64       `yaml:"peak"`
	At     time.Duration `yaml:"at"`
	Length time.Duration `yaml:"length"`
}

// Soak is a long steady run at calls.rate after a linear warm-up from 0.
type Soak struct {
	Warmup time.Duration `yaml:"warmup"` // default 0
}

// Placing reports whether the scenario places calls at all (a rate, or a
// shape with one, above 0).
func (c Calls) Placing() bool { return c.peakRate() > 0 }

// peakRate is the highest arrival rate of the shape.
func (c Calls) peakRate() float64 {
	switch c.Shape {
	case ShapeRamp:
		return max(c.Ramp.From, c.Ramp.To)
	case ShapeSpike:
		return max(c.Spike.Base, c.Spike.Peak)
	case ShapeCeiling:
		return c.Ceiling.Max
	}
	return c.Rate
}

// longest is the longest hold the distribution draws.
func (h HoldDist) longest() time.Duration {
	if h.Kind == HoldFixed || h.Kind == "" {
		return h.Mean
	}
	return h.Max
}

// callModelDefaults fills the call model's defaults (after the rest).
// calls.bhca and calls.rate both set is left for validate to report.
func (s *Scenario) callModelDefaults() {
	c := &s.Calls
	c.Arrivals = strings.ToLower(c.Arrivals)
	if c.Arrivals == "" {
		c.Arrivals = ArrivalsUniform
	}
	if c.BHCA > 0 && c.Rate == 0 {
		c.Rate = float64(s.Population.Count) * c.BHCA / 3600
	}
	c.Pattern = strings.ToLower(c.Pattern)
	if c.Pattern == "" {
		c.Pattern = PatternRandom
		if c.Remote.Count > 0 || c.Remote.First != "" {
			c.Pattern = PatternRemote
		}
	}
	if c.Block == 0 && c.Pattern == PatternLocal {
		c.Block = DefaultBlock
	}
	c.Shape = strings.ToLower(c.Shape)
	if c.Shape == "" {
		c.Shape = ShapeSteady
	}
	switch c.Shape {
	case ShapeRamp:
		if c.Ramp.To == 0 {
			c.Ramp.To = c.Rate
		}
		if c.Ramp.Over == 0 {
			c.Ramp.Over = c.Duration
		}
	case ShapeSpike:
		if c.Spike.Base == 0 {
			c.Spike.Base = c.Rate
		}
	}
	s.ceilingDefaults()
	h := &c.HoldDist
	h.Kind = strings.ToLower(h.Kind)
	if h.Kind == "" {
		h.Kind = HoldFixed
	}
	if h.Mean == 0 {
		h.Mean = c.Hold
	}
	if c.Hold == 0 {
		c.Hold = h.Mean // the nominal hold of the rest of the code
	}
	if h.Kind == HoldLognormal && h.Sigma == 0 {
		h.Sigma = DefaultSigma
	}
	if h.Kind != HoldFixed {
		if h.Min == 0 && s.Audio.Verify && s.Audio.MediaShare() > 0 {
			h.Min = MinAudioHold
		}
		if h.Max == 0 {
			h.Max = maxHoldFactor * h.Mean
		}
	}
}

// validateCallModel checks the call model; raw are the calls as written
// (before defaults), to tell a field set from a default.
func (s *Scenario) validateCallModel(raw Calls, add func(field, format string, args ...any)) {
	c := s.Calls
	if c.Arrivals != ArrivalsUniform && c.Arrivals != ArrivalsPoisson {
		add("calls.arrivals", "must be uniform or poisson, got %q", c.Arrivals)
	}
	switch {
	case math.IsNaN(raw.BHCA) || math.IsInf(raw.BHCA, 0) || raw.BHCA < 0:
		add("calls.bhca", "must be 0 or more calls per subscriber per hour, got %v", raw.BHCA)
	case raw.BHCA > 0 && raw.Rate != 0:
		add("calls.bhca", "set calls.rate or calls.bhca, not both (got rate %v and bhca %v)", raw.Rate, raw.BHCA)
	case raw.BHCA > 0 && c.Rate > MaxRate:
		add("calls.bhca", "%v per subscriber × %d subscribers is %.0f calls/s, more than %v", raw.BHCA, s.Population.Count, c.Rate, MaxRate)
	}
	s.validateHold(raw, add)
	s.validatePattern(add)
	s.validateShape(raw, add)
	s.validateJourney(add)
	if sh := s.Audio.Share; sh != nil && (math.IsNaN(*sh) || *sh < 0 || *sh > 1) {
		add("audio.share", "must be a fraction 0..1 of the calls, got %v", *sh)
	}
}

func (s *Scenario) validateHold(raw Calls, add func(field, format string, args ...any)) {
	h, rh := s.Calls.HoldDist, raw.HoldDist
	switch h.Kind {
	case HoldFixed, HoldExponential, HoldLognormal:
	default:
		add("calls.hold_dist.kind", "must be fixed, exponential or lognormal, got %q", h.Kind)
		return
	}
	if raw.Hold != 0 && rh.Mean != 0 {
		add("calls.hold_dist.mean", "set calls.hold or calls.hold_dist.mean, not both (got %s and %s)", raw.Hold, rh.Mean)
	}
	if h.Mean < 0 || h.Min < 0 || h.Max < 0 {
		add("calls.hold_dist", "durations must not be negative (mean %s, min %s, max %s)", h.Mean, h.Min, h.Max)
	}
	if rh.Sigma != 0 && h.Kind != HoldLognormal {
		add("calls.hold_dist.sigma", "only with kind lognormal (kind is %s)", h.Kind)
	}
	if h.Kind == HoldLognormal && (math.IsNaN(h.Sigma) || h.Sigma <= 0 || h.Sigma > 3) {
		add("calls.hold_dist.sigma", "must be in (0, 3], got %v", h.Sigma)
	}
	if h.Kind == HoldFixed {
		if rh.Min != 0 || rh.Max != 0 {
			add("calls.hold_dist", "min and max only with kind exponential or lognormal")
		}
		return
	}
	if h.Max < h.Min {
		add("calls.hold_dist.max", "must be at least min (%s), got %s", h.Min, h.Max)
	}
	if s.Audio.Verify && s.Audio.MediaShare() > 0 && h.Min < MinAudioHold {
		add("calls.hold_dist.min", "must be at least %s when audio.verify is on (the check needs that much audio), got %s", MinAudioHold, h.Min)
	}
}

func (s *Scenario) validatePattern(add func(field, format string, args ...any)) {
	c := s.Calls
	remote := c.Remote.Count != 0 || c.Remote.First != ""
	switch c.Pattern {
	case PatternRandom, PatternLocal:
		if remote {
			add("calls.pattern", "is %s but calls.remote is set (remote numbers are called with pattern remote)", c.Pattern)
		}
	case PatternRemote:
		if !remote {
			add("calls.pattern", "remote needs calls.remote (the numbers to call)")
		}
	default:
		add("calls.pattern", "must be random, local or remote, got %q", c.Pattern)
	}
	if c.Block != 0 && c.Pattern != PatternLocal {
		add("calls.block", "only with calls.pattern local (pattern is %s)", c.Pattern)
	}
	if c.Pattern == PatternLocal && c.Block < 2 {
		add("calls.block", "must be at least 2 numbers, got %d", c.Block)
	}
}

func (s *Scenario) validateShape(raw Calls, add func(field, format string, args ...any)) {
	c := s.Calls
	rate := func(field string, v float64) {
		if math.IsNaN(v) || v < 0 || v > MaxRate {
			add(field, "must be 0..%v calls per second, got %v", MaxRate, v)
		}
	}
	if raw.Ramp != (Ramp{}) && c.Shape != ShapeRamp {
		add("calls.ramp", "only with calls.shape ramp (shape is %s)", c.Shape)
	}
	if raw.Spike != (Spike{}) && c.Shape != ShapeSpike {
		add("calls.spike", "only with calls.shape spike (shape is %s)", c.Shape)
	}
	if raw.Soak != (Soak{}) && c.Shape != ShapeSoak {
		add("calls.soak", "only with calls.shape soak (shape is %s)", c.Shape)
	}
	switch c.Shape {
	case ShapeSteady:
	case ShapeRamp:
		rate("calls.ramp.from", c.Ramp.From)
		rate("calls.ramp.to", c.Ramp.To)
		if c.Ramp.Over < 0 {
			add("calls.ramp.over", "must not be negative, got %s", c.Ramp.Over)
		}
	case ShapeSpike:
		rate("calls.spike.base", c.Spike.Base)
		rate("calls.spike.peak", c.Spike.Peak)
		if c.Spike.Peak <= 0 {
			add("calls.spike.peak", "must be positive, got %v", c.Spike.Peak)
		}
		if c.Spike.At < 0 || c.Spike.At >= c.Duration {
			add("calls.spike.at", "must be within calls.duration (%s), got %s", c.Duration, c.Spike.At)
		}
		if c.Spike.Length <= 0 {
			add("calls.spike.length", "must be positive, got %s", c.Spike.Length)
		}
	case ShapeSoak:
		if c.Soak.Warmup < 0 || c.Soak.Warmup > c.Duration {
			add("calls.soak.warmup", "must be 0..calls.duration (%s), got %s", c.Duration, c.Soak.Warmup)
		}
	case ShapeCeiling: // validateCeiling
	default:
		add("calls.shape", "must be steady, ramp, spike, soak or ceiling, got %q", c.Shape)
		return
	}
	if c.Duration > 0 && c.Duration < 1<<62 {
		if n := expectedCalls(c); n > MaxCalls && c.Shape == ShapeCeiling {
			add("calls.ceiling", "the steps plan %.0f calls if none breaks, more than %d", n, MaxCalls)
		} else if n > MaxCalls {
			add("calls.duration", "the rate over calls.duration plans %.0f calls, more than %d", n, MaxCalls)
		}
	}
}
