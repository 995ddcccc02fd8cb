package waiting

import (
	"maps"
	"slices"

	"pbxlab/pbx/internal/services"
)

// Setting is on or off.
type Setting string

// Settings.
const (
	SettingOn  Setting = "on"
	SettingOff Setting = "off"
)

// Config is the services.waiting section.
type Config struct {
	// Default is call waiting for every subscriber the phone and
	// Subscribers say nothing of: on or off. Default on (project default,
	// as Asterisk's callwaiting=yes per device).
	Default Setting `yaml:"default"`
	// Subscribers: subscriber number -> on|off, beating Default (the
	// phone's *58# / #58# beats both). Default none.
	Subscribers map[string]Setting `yaml:"subscribers"`
}

// Check reports what is wrong with cfg, each problem at its field.
// Whether the subscribers exist is the PBX configuration's check.
func (cfg Config) Check() services.Problems {
	var ps services.Problems
	if cfg.Default != "" && cfg.Default != SettingOn && cfg.Default != SettingOff {
		ps.Add("default", "%q: want on or off", cfg.Default)
	}
	for _, n := range slices.Sorted(maps.Keys(cfg.Subscribers)) {
		f := "subscribers." + n
		if ps.Number(f, n) {
			if v := cfg.Subscribers[n]; v != SettingOn && v != SettingOff {
				ps.Add(f, "%q: want on or off", v)
			}
		}
	}
	return ps
}

// on is the configuration's setting for subscriber.
func (cfg Config) on(subscriber string) bool {
	if v, ok := cfg.Subscribers[subscriber]; ok {
		return v == SettingOn
	}
	return cfg.Default != SettingOff
}
