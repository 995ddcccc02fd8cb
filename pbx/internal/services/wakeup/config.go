package wakeup

import (
	"slices"
	"time"

	"pbxlab/pbx/internal/services"
)

// Config is the services.wakeup section.
type Config struct {
	// Media is the media ID of the wake-up announcement (media.files or a
	// built-in prompt). Default "": the built-in tone (Tone).
	Media string `yaml:"media"`
	// Tone is the built-in tone played when Media is "" (a tone kind of
	// the plan: dial, ringback, busy, congestion, confirmation,
	// call-waiting, error), for ToneFor. Default call-waiting, 10s.
	Tone    string        `yaml:"tone"`
	ToneFor time.Duration `yaml:"tone_for"`
	// TimeZone is the IANA zone the hhmm of *55*hhmm# is read in. Default
	// "": the PBX host's local zone.
	TimeZone string `yaml:"time_zone"`
	// Retries is how many times an unanswered alarm is tried again.
	// Default 3 (-1: none).
	Retries int `yaml:"retries"`
	// RetryInterval is the time between tries. Default 5m.
	RetryInterval time.Duration `yaml:"retry_interval"`
	// Ring is how long each try rings. Default 30s.
	Ring time.Duration `yaml:"ring"`
}

// Defaults.
const (
	DefaultRetries       = 3
	DefaultRetryInterval = 5 * time.Minute
	DefaultRing          = 30 * time.Second
	DefaultToneFor       = 10 * time.Second
	DefaultTone          = "call-waiting"
)

// toneKinds are the tone plan's kinds (media.ToneKinds; not imported: the
// configuration does not link the media server).
var toneKinds = []string{"dial", "ringback", "busy", "congestion", "confirmation", "call-waiting", "error"}

// withDefaults fills the zero fields.
func (cfg Config) withDefaults() Config {
	switch {
	case cfg.Retries == 0:
		cfg.Retries = DefaultRetries
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	if cfg.RetryInterval == 0 {
		cfg.RetryInterval = DefaultRetryInterval
	}
	if cfg.Ring == 0 {
		cfg.Ring = DefaultRing
	}
	if cfg.Tone == "" {
		cfg.Tone = DefaultTone
	}
	if cfg.ToneFor == 0 {
		cfg.ToneFor = DefaultToneFor
	}
	return cfg
}

// Check reports what is wrong with cfg, each problem at its field. Whether
// the media ID exists is the PBX's check (the media library).
func (cfg Config) Check() services.Problems {
	var ps services.Problems
	if cfg.TimeZone != "" {
		if _, err := time.LoadLocation(cfg.TimeZone); err != nil {
			ps.Add("time_zone", "%q: not an IANA time zone", cfg.TimeZone)
		}
	}
	if cfg.Tone != "" {
		if !slices.Contains(toneKinds, cfg.Tone) {
			ps.Add("tone", "%q: not a tone kind", cfg.Tone)
		}
	}
	if cfg.Retries > 10 {
		ps.Add("retries", "%d: at most 10", cfg.Retries)
	}
	for _, d := range []struct {
		f string
		v time.Duration
	}{{"retry_interval", cfg.RetryInterval}, {"ring", cfg.Ring}, {"tone_for", cfg.ToneFor}} {
		if d.v < 0 {
			ps.Add(d.f, "%s: want a positive duration", d.v)
		}
	}
	return ps
}

// location is the zone of the alarms.
func (cfg Config) location() *time.Location {
	if cfg.TimeZone == "" {
		return time.Local
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return time.Local
	}
	return loc
}
