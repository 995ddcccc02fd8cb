package secretary

import (
	"maps"
	"slices"
	"strconv"

	"pbxlab/pbx/internal/services"
)

// Setting is on or off.
type Setting string

// Settings.
const (
	SettingOn  Setting = "on"
	SettingOff Setting = "off"
)

// Config is the services.secretary section.
type Config struct {
	// Bosses: boss's subscriber number -> the boss's secretary and who
	// gets through. Default none.
	Bosses map[string]Boss `yaml:"bosses"`
}

// Boss is one boss's filtering.
type Boss struct {
	// Secretary is the number the boss's calls go to. Required.
	Secretary string `yaml:"secretary"`
	// Allowed are the callers whose calls ring the boss directly (the
	// secretary always does). Default none.
	Allowed []string `yaml:"allowed"`
	// Filter is whether filtering is on until the boss dials *53# / #53#:
	// on or off. Default on.
	Filter Setting `yaml:"filter"`
}

// Check reports what is wrong with cfg, each problem at its field.
// Whether the numbers are subscribers is the PBX configuration's check.
func (cfg Config) Check() services.Problems {
	var ps services.Problems
	for _, boss := range slices.Sorted(maps.Keys(cfg.Bosses)) {
		p := "bosses." + boss
		b := cfg.Bosses[boss]
		ps.Number(p, boss)
		if ps.Number(p+".secretary", b.Secretary) && b.Secretary == boss {
			ps.Add(p+".secretary", "%q is the boss's own number", b.Secretary)
		}
		seen := map[string]bool{}
		for i, n := range b.Allowed {
			f := p + ".allowed[" + strconv.Itoa(i) + "]"
			if ps.Number(f, n) && seen[n] {
				ps.Add(f, "%q listed twice", n)
			}
			seen[n] = true
		}
		if b.Filter != "" && b.Filter != SettingOn && b.Filter != SettingOff {
			ps.Add(p+".filter", "%q: want on or off", b.Filter)
		}
	}
	return ps
}
