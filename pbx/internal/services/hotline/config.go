package hotline

import (
	"maps"
	"slices"
	"time"

	"pbxlab/pbx/internal/services"
)

// Defaults.
const (
	// DefaultOffHook is Config.OffHook when "": the number a SIP phone's
	// hotline (auto-dial on off-hook) setting dials.
	DefaultOffHook = "hotline"
	// DefaultDelay is Config.Delay when 0: how long a delayed hotline
	// waits for the first digit.
	DefaultDelay = 5 * time.Second
	// DefaultInterDigit is Config.InterDigit when 0: how long a digit
	// waits for the next before the digits dialled so far are called.
	DefaultInterDigit = 5 * time.Second
)

// Mode is a configured hotline's kind.
type Mode string

// Modes.
const (
	Immediate Mode = "immediate"
	Delayed   Mode = "delayed"
)

// Config is the services.hotline section.
type Config struct {
	// OffHook is the number that stands for "the handset went off hook"
	// (a SIP phone has no off-hook signal: its hotline / auto-dial setting
	// dials this number at once). Letters and digits, 1 to 32. Default
	// "hotline".
	OffHook string `yaml:"offhook_number"`
	// Delay is a delayed hotline's wait for the first digit, when the
	// subscriber's line does not say. Default 5s.
	Delay time.Duration `yaml:"delay"`
	// InterDigit is, on a delayed hotline, how long the PBX waits for the
	// next digit before calling the digits dialled so far ("#" calls them
	// at once). Default 5s.
	InterDigit time.Duration `yaml:"inter_digit"`
	// Subscribers are the configured hotlines: subscriber number -> its
	// line. One set or cleared from the phone beats it. Default none.
	Subscribers map[string]Line `yaml:"subscribers"`
}

// Line is one subscriber's configured hotline.
type Line struct {
	// Number is the hotline number (analysed as if the subscriber dialled
	// it). Required.
	Number string `yaml:"number"`
	// Mode is immediate or delayed. Default immediate.
	Mode Mode `yaml:"mode"`
	// Delay overrides the section's delay for a delayed line. Default 0
	// (the section's).
	Delay time.Duration `yaml:"delay"`
}

func (cfg Config) offHook() string {
	if cfg.OffHook == "" {
		return DefaultOffHook
	}
	return cfg.OffHook
}

func (cfg Config) delay() time.Duration {
	if cfg.Delay == 0 {
		return DefaultDelay
	}
	return cfg.Delay
}

func (cfg Config) interDigit() time.Duration {
	if cfg.InterDigit == 0 {
		return DefaultInterDigit
	}
	return cfg.InterDigit
}

// Check reports what is wrong with cfg, each problem at its field.
// Whether the subscribers exist is the PBX configuration's check.
func (cfg Config) Check() services.Problems {
	var ps services.Problems
	if o := cfg.OffHook; o != "" && (len(o) > 32 || !offHookChars(o)) {
		ps.Add("offhook_number", "%q: want 1 to 32 letters or digits", o)
	}
	if cfg.Delay < 0 || cfg.Delay > MaxDelay {
		ps.Add("delay", "must be between 0 and %s, got %s", MaxDelay, cfg.Delay)
	}
	if cfg.InterDigit < 0 || cfg.InterDigit > MaxDelay {
		ps.Add("inter_digit", "must be between 0 and %s, got %s", MaxDelay, cfg.InterDigit)
	}
	for _, sub := range slices.Sorted(maps.Keys(cfg.Subscribers)) {
		p := "subscribers." + sub
		l := cfg.Subscribers[sub]
		if ps.Number(p+".number", l.Number) && l.Number == sub {
			ps.Add(p+".number", "%q is a hotline to itself", l.Number)
		}
		if l.Mode != "" && l.Mode != Immediate && l.Mode != Delayed {
			ps.Add(p+".mode", "%q: want immediate or delayed", l.Mode)
		}
		if l.Delay < 0 || l.Delay > MaxDelay {
			ps.Add(p+".delay", "must be between 0 and %s, got %s", MaxDelay, l.Delay)
		}
		if l.Delay > 0 && l.Mode != Delayed {
			ps.Add(p+".delay", "only a delayed line has a delay")
		}
	}
	return ps
}

func offHookChars(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
