package park

import (
	"strconv"
	"time"

	"pbxlab/pbx/internal/services"
)

// Defaults.
const (
	// DefaultSlots is Config.Slots when 0 (Asterisk's default lot has 20
	// spaces, 701-720; ours are 1-10, short to dial after *6*).
	DefaultSlots = 10
	// DefaultTimeout is Config.Timeout when 0 (Asterisk's parkingtime,
	// 45 s, is short for an office; FreeSWITCH valet parking has none).
	DefaultTimeout = 120 * time.Second
	// maxSlots bounds Config.Slots (three digits after *6*).
	maxSlots = 999
)

// Config is the services.park section.
type Config struct {
	// Slots is how many calls may be parked at once: slots 1 to Slots,
	// the lowest free one taken first. 1 to 999; default 10 (0 means 10).
	Slots int `yaml:"slots"`
	// Timeout is how long a call stays parked: then the PBX rings the
	// parker back, and hangs the call up if the parker does not answer.
	// Default 120s (0 means 120s).
	Timeout time.Duration `yaml:"timeout"`
	// Right are the subscribers who may retrieve a call someone else
	// parked; empty (the default): every subscriber. The parker may
	// always retrieve its own.
	Right []string `yaml:"right"`
}

func (cfg Config) slots() int {
	if cfg.Slots == 0 {
		return DefaultSlots
	}
	return cfg.Slots
}

func (cfg Config) timeout() time.Duration {
	if cfg.Timeout == 0 {
		return DefaultTimeout
	}
	return cfg.Timeout
}

// Check reports what is wrong with cfg, each problem at its field.
func (cfg Config) Check() services.Problems {
	var ps services.Problems
	if cfg.Slots < 0 || cfg.Slots > maxSlots {
		ps.Add("slots", "%d: want 1 to %d (0: %d)", cfg.Slots, maxSlots, DefaultSlots)
	}
	if cfg.Timeout < 0 {
		ps.Add("timeout", "%s: want a positive duration (0: %s)", cfg.Timeout, DefaultTimeout)
	}
	seen := map[string]bool{}
	for i, n := range cfg.Right {
		f := "right[" + strconv.Itoa(i) + "]"
		if ps.Number(f, n) && seen[n] {
			ps.Add(f, "%q listed twice", n)
		}
		seen[n] = true
	}
	return ps
}
