package scenario

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Limits that keep a scenario within what one simulator process can drive.
const (
	MaxPopulation = 1_000_000
	MaxRate       = 10_000.0
	maxNumberLen  = 18 // fits uint64 with room for Count
	// MinAudioHold is the shortest hold that leaves time to prove two-way audio.
	MinAudioHold = 500 * time.Millisecond
)

type violation struct {
	field string
	msg   string
}

// validate checks a decoded scenario (after defaults) and lists every problem.
func (s *Scenario) validate() []violation {
	var v []violation
	add := func(field, format string, args ...any) {
		v = append(v, violation{field: field, msg: fmt.Sprintf(format, args...)})
	}
	if s.Name == "" {
		add("name", "is required")
	}

	p := s.Population
	switch {
	case p.Count < 1:
		add("population.count", "must be at least 1, got %d", p.Count)
	case p.Count > MaxPopulation:
		add("population.count", "must be at most %d, got %d", MaxPopulation, p.Count)
	}
	if err := checkNumber(p.First); err != "" {
		add("population.first", "%s", err)
	}
	if p.Password == "" {
		add("population.password", "is required (use {n} for the phone's number)")
	}
	if p.RegisterExpires < time.Second {
		add("population.register_expires", "must be at least 1s, got %s", p.RegisterExpires)
	}
	if p.Transport != TransportUDP && p.Transport != TransportTCP {
		add("population.transport", "must be udp or tcp, got %q", p.Transport)
	}
	if p.RegisterConcurrency < 1 {
		add("population.register_concurrency", "must be at least 1, got %d", p.RegisterConcurrency)
	}

	b := s.Behaviours
	for _, f := range []struct {
		name string
		val  int
	}{{"answer", b.Answer}, {"busy", b.Busy}, {"no_answer", b.NoAnswer}, {"reject", b.Reject}} {
		if f.val < 0 || f.val > 100 {
			add("behaviours."+f.name, "must be a percentage 0..100, got %d", f.val)
		}
	}
	if t := b.Total(); t != 100 {
		add("behaviours", "percentages must sum to 100, got %d", t)
	}
	if s.AnswerDelay < 0 {
		add("answer_delay", "must not be negative, got %s", s.AnswerDelay)
	}

	c := s.Calls
	switch {
	case math.IsNaN(c.Rate) || c.Rate < 0:
		add("calls.rate", "must be 0 or more calls per second, got %v", c.Rate)
	case c.Rate > MaxRate:
		add("calls.rate", "must be at most %v calls per second, got %v", MaxRate, c.Rate)
	}
	if c.Duration < 0 {
		add("calls.duration", "must not be negative, got %s", c.Duration)
	}
	if c.Rate > 0 {
		if c.Hold <= 0 {
			add("calls.hold", "must be positive when calls.rate > 0, got %s", c.Hold)
		}
		if c.Duration <= 0 {
			add("calls.duration", "must be positive when calls.rate > 0, got %s", c.Duration)
		}
		if s.Audio.Verify && c.Hold > 0 && c.Hold < MinAudioHold {
			add("calls.hold", "must be at least %s when audio.verify is on (the check needs that much audio), got %s", MinAudioHold, c.Hold)
		}
		if p.Count == 1 && c.Remote.Count == 0 {
			add("population.count", "calls need at least 2 phones (or calls.remote)")
		}
	}
	if c.Hold < 0 {
		add("calls.hold", "must not be negative, got %s", c.Hold)
	}
	if c.MaxConcurrent < 1 {
		add("calls.max_concurrent", "must be at least 1, got %d", c.MaxConcurrent)
	}
	if c.RingTimeout < 0 {
		add("calls.ring_timeout", "must not be negative, got %s", c.RingTimeout)
	}
	if r := c.Remote; r.Count != 0 || r.First != "" {
		if r.Count < 1 || r.Count > MaxPopulation {
			add("calls.remote.count", "must be 1..%d, got %d", MaxPopulation, r.Count)
		}
		if err := checkNumber(r.First); err != "" {
			add("calls.remote.first", "%s", err)
		}
	}
	return v
}

// checkNumber validates the first number of a population.
func checkNumber(first string) string {
	if first == "" {
		return "is required (e.g. \"1000\")"
	}
	if len(first) > maxNumberLen {
		return fmt.Sprintf("must have at most %d digits, got %d", maxNumberLen, len(first))
	}
	for _, r := range first {
		if r < '0' || r > '9' {
			return fmt.Sprintf("must be decimal digits, got %q", first)
		}
	}
	if _, err := strconv.ParseUint(first, 10, 64); err != nil {
		return fmt.Sprintf("must be a number, got %q", first)
	}
	return ""
}
