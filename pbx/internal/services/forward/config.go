package forward

import (
	"maps"
	"slices"
	"time"

	"pbxlab/pbx/internal/services"
)

// Defaults.
const (
	// DefaultMaxHops is Config.MaxHops when 0.
	DefaultMaxHops = 5
	// DefaultNoReplyAfter is Config.NoReplyAfter when 0.
	DefaultNoReplyAfter = 20 * time.Second
)

// Config is the services.forward section.
type Config struct {
	// MaxHops bounds how many times one call is forwarded (a chain
	// 1002 → 1003 → 1004 is 2 hops); a forward beyond it gets 483 Too Many
	// Hops. 1 to 8 (the call layer's own bound on decisions); default 5
	// (0 means 5).
	MaxHops int `yaml:"max_hops"`
	// NoReplyAfter is how long a subscriber with a forward on no reply
	// rings before the call is forwarded; it should be shorter than
	// call.no_answer_timeout (which ends the attempt otherwise). Default
	// 20s (0 means 20s).
	NoReplyAfter time.Duration `yaml:"no_reply_after"`
	// Subscribers are the configured forwards: subscriber number -> its
	// forwards. A forward set or cleared from the phone beats the
	// configured one of the same kind. Default none.
	Subscribers map[string]Forwards `yaml:"subscribers"`
}

// Forwards are one subscriber's configured forwards: a target number per
// kind, "" for none.
type Forwards struct {
	// Unconditional: every call goes to this number at once. Default "".
	Unconditional string `yaml:"unconditional"`
	// Busy: a call that finds the subscriber busy goes here. Default "".
	Busy string `yaml:"busy"`
	// NoReply: a call the subscriber does not answer in NoReplyAfter
	// goes here. Default "".
	NoReply string `yaml:"no_reply"`
	// NoReplyAfter overrides the section's no_reply_after for this
	// subscriber. Default 0 (the section's).
	NoReplyAfter time.Duration `yaml:"no_reply_after"`
	// Unreachable: a call to the subscriber while it is not registered
	// (no contact) goes here. Default "".
	Unreachable string `yaml:"unreachable"`
}

// get returns the configured forward of kind k.
func (f Forwards) get(k Kind) string {
	return [...]string{f.Unconditional, f.Busy, f.NoReply, f.Unreachable}[k]
}

func (cfg Config) maxHops() int {
	if cfg.MaxHops == 0 {
		return DefaultMaxHops
	}
	return cfg.MaxHops
}

func (cfg Config) noReplyAfter(sub string) time.Duration {
	if d := cfg.Subscribers[sub].NoReplyAfter; d > 0 {
		return d
	}
	if cfg.NoReplyAfter == 0 {
		return DefaultNoReplyAfter
	}
	return cfg.NoReplyAfter
}

// Check reports what is wrong with cfg, each problem at its field.
// Whether the subscribers exist is the PBX configuration's check.
func (cfg Config) Check() services.Problems {
	var ps services.Problems
	if cfg.MaxHops < 0 || cfg.MaxHops > 8 {
		ps.Add("max_hops", "must be between 1 and 8 (0: %d), got %d", DefaultMaxHops, cfg.MaxHops)
	}
	if cfg.NoReplyAfter < 0 {
		ps.Add("no_reply_after", "must not be negative, got %s", cfg.NoReplyAfter)
	}
	for _, sub := range slices.Sorted(maps.Keys(cfg.Subscribers)) {
		p := "subscribers." + sub
		f := cfg.Subscribers[sub]
		for _, k := range kinds {
			if n := f.get(k); n != "" {
				if ps.Number(p+"."+k.String(), n) && n == sub {
					ps.Add(p+"."+k.String(), "%q forwards to itself", n)
				}
			}
		}
		if f.NoReplyAfter < 0 {
			ps.Add(p+".no_reply_after", "must not be negative, got %s", f.NoReplyAfter)
		}
	}
	return ps
}
