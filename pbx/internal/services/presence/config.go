package presence

import (
	"maps"
	"slices"
	"strconv"

	"pbxlab/pbx/internal/services"
)

// Config is the services.presence section.
type Config struct {
	// Watchers restricts who may watch a line: watched number -> the
	// subscribers allowed to SUBSCRIBE to its dialog state. A number not
	// listed may be watched by every subscriber of the PBX; a subscriber
	// may always watch their own line. Default none (everyone may watch
	// everyone).
	Watchers map[string][]string `yaml:"watchers"`
}

// Check reports what is wrong with cfg, each problem at its field.
// Whether the numbers are subscribers is the PBX configuration's check.
func (cfg Config) Check() services.Problems {
	var ps services.Problems
	for _, n := range slices.Sorted(maps.Keys(cfg.Watchers)) {
		f := "watchers." + n
		ps.Number(f, n)
		seen := map[string]bool{}
		for i, w := range cfg.Watchers[n] {
			wf := f + "[" + strconv.Itoa(i) + "]"
			if ps.Number(wf, w) && seen[w] {
				ps.Add(wf, "%q listed twice", w)
			}
			seen[w] = true
		}
	}
	return ps
}
