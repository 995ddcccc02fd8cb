package intervention

import (
	"strconv"

	"pbxlab/pbx/internal/services"
)

// Config is the services.intervention section (switch name ci, the
// manual's srv-switch ci on|off).
type Config struct {
	// Right are the subscribers who may intervene (the manual's
	// intervener C). Default none: with the switch on, still nobody
	// intervenes until the administrator names who may.
	Right []string `yaml:"right"`
	// Protected are subscribers nobody may intervene on (a director, an
	// emergency desk). Default none.
	Protected []string `yaml:"protected"`
}

// Check reports what is wrong with cfg, each problem at its field.
// Whether the numbers are subscribers is the PBX configuration's check.
func (cfg Config) Check() services.Problems {
	var ps services.Problems
	for _, l := range []struct {
		name string
		ns   []string
	}{{"right", cfg.Right}, {"protected", cfg.Protected}} {
		seen := map[string]bool{}
		for i, n := range l.ns {
			f := l.name + "[" + strconv.Itoa(i) + "]"
			if ps.Number(f, n) && seen[n] {
				ps.Add(f, "%q listed twice", n)
			}
			seen[n] = true
		}
	}
	return ps
}
