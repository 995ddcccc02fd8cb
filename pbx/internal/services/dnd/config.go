package dnd

import (
	"strconv"

	"pbxlab/pbx/internal/services"
)

// Config is the services.dnd section.
type Config struct {
	// Subscribers have do not disturb on unless they turned it off from
	// the phone (#56#). Default none.
	Subscribers []string `yaml:"subscribers"`
}

// Check reports what is wrong with cfg, each problem at its field.
// Whether the subscribers exist is the PBX configuration's check.
func (cfg Config) Check() services.Problems {
	var ps services.Problems
	seen := map[string]bool{}
	for i, n := range cfg.Subscribers {
		f := "subscribers[" + strconv.Itoa(i) + "]"
		if ps.Number(f, n) && seen[n] {
			ps.Add(f, "%q listed twice", n)
		}
		seen[n] = true
	}
	return ps
}
