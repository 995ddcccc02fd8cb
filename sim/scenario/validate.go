package scenario

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"pbxlab/sim/threshold"
)

// Limits that keep a scenario within what one simulator process can drive.
const (
	MaxPopulation = 1_000_000
	// MaxSocketsPerAddr bounds population.sockets_per_addr.
	MaxSocketsPerAddr = 64
	// MaxLocalAddrs bounds population.local_addrs.
	MaxLocalAddrs = 256
	MaxRate       = 10_000.0
	maxNumberLen  = 18 // fits uint64 with room for Count
	// MinAudioHold is the shortest hold that leaves time to prove two-way audio.
	MinAudioHold = 500 * time.Millisecond
)

type violation struct {
	field string
	msg   string
}

// validate checks a decoded scenario (after defaults) and lists every
// problem; raw are its calls as written, before defaults.
func (s *Scenario) validate(raw Calls) []violation {
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
	if f := p.FirstRefresh; len(f) != 2 || !(f[0] > 0 && f[0] <= f[1] && f[1] < 1) { // NaN fails too
		add("population.first_refresh", "must be [from, to] with 0 < from <= to < 1, got %v", f)
	}
	if len(p.LocalAddrs) > MaxLocalAddrs {
		add("population.local_addrs", "must list at most %d addresses, got %d", MaxLocalAddrs, len(p.LocalAddrs))
	}
	for i, a := range p.LocalAddrs {
		if ip, err := netip.ParseAddr(a); err != nil || ip.IsUnspecified() {
			add(fmt.Sprintf("population.local_addrs[%d]", i), "must be a concrete IP address, got %q", a)
		}
	}
	if p.SocketsPerAddr < 1 || p.SocketsPerAddr > MaxSocketsPerAddr {
		add("population.sockets_per_addr", "must be 1..%d, got %d", MaxSocketsPerAddr, p.SocketsPerAddr)
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
	switch { // as written: a rate from calls.bhca is checked there
	case math.IsNaN(raw.Rate) || raw.Rate < 0:
		add("calls.rate", "must be 0 or more calls per second, got %v", raw.Rate)
	case raw.Rate > MaxRate:
		add("calls.rate", "must be at most %v calls per second, got %v", MaxRate, raw.Rate)
	}
	if c.Duration < 0 {
		add("calls.duration", "must not be negative, got %s", c.Duration)
	}
	if c.Placing() {
		if c.Hold <= 0 {
			add("calls.hold", "must be positive when calls.rate > 0, got %s", c.Hold)
		}
		if c.Duration <= 0 && c.Shape != ShapeCeiling { // a ceiling's steps: validateCeiling
			add("calls.duration", "must be positive when calls.rate > 0, got %s", c.Duration)
		}
		if s.Audio.Verify && s.Audio.MediaShare() > 0 && c.HoldDist.Kind == HoldFixed && c.Hold > 0 && c.Hold < MinAudioHold {
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
	s.validateCarriers(add)
	s.validateCallModel(raw, add)
	s.parseThresholds(add)
	s.validateCeiling(raw, add)
	s.validateImpairment(add)
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

// parseThresholds parses the thresholds into Checks, naming the item of
// each bad one.
func (s *Scenario) parseThresholds(add func(field, format string, args ...any)) {
	s.Checks = s.parseThresholdList(s.Thresholds, "thresholds", add)
}

// parseThresholdList parses texts (the list at field), naming the item of
// each bad one, and rejects a threshold the run can never measure.
func (s *Scenario) parseThresholdList(texts []string, field string, add func(field, format string, args ...any)) []threshold.Threshold {
	var out []threshold.Threshold
	for i, text := range texts {
		field := fmt.Sprintf("%s[%d]", field, i)
		t, err := threshold.Parse(text)
		if err != nil {
			add(field, "%v", err)
			continue
		}
		// a threshold the run can never measure is a mistake, not a failure
		switch media := s.Audio.MediaShare() > 0; {
		case (t.Metric == "audio_ok" || t.Metric == "audio_failed") && (!s.Audio.Verify || !media):
			add(field, "%s needs audio.verify and media (audio.share > 0): no audio is checked", t.Metric)
		case strings.HasPrefix(t.Metric, "mos_") || strings.HasPrefix(t.Metric, "loss_") ||
			t.Metric == "jitter_p95" || strings.HasPrefix(t.Metric, "delay_"):
			if !media {
				add(field, "%s needs media (audio.share > 0): no stream is measured", t.Metric)
			}
		}
		out = append(out, t)
	}
	return out
}
