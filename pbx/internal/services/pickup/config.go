package pickup

import (
	"strconv"

	"pbxlab/pbx/internal/services"
)

// Config is the services.pickup section.
type Config struct {
	// Groups are the pickup groups: a member picks up, with *8#, a call
	// ringing any other member of its groups. Default none.
	Groups []GroupConfig `yaml:"groups"`
	// Right are subscribers with the pickup right outside any group (they
	// may use directed pickup, *8*<num>#). Members of a group have the
	// right anyway. Default none.
	Right []string `yaml:"right"`
}

// GroupConfig is one pickup group.
type GroupConfig struct {
	// Name labels the group in logs; required, unique.
	Name string `yaml:"name"`
	// Members are subscriber numbers; at least one. A subscriber may be in
	// several groups.
	Members []string `yaml:"members"`
}

// Check reports what is wrong with cfg, each problem at its field.
// Whether the numbers are subscribers is the PBX configuration's check.
func (cfg Config) Check() services.Problems {
	var ps services.Problems
	names := map[string]bool{}
	for i, g := range cfg.Groups {
		f := "groups[" + strconv.Itoa(i) + "]"
		ps.Name(f+".name", g.Name, names)
		if len(g.Members) == 0 {
			ps.Add(f+".members", "at least one member")
		}
		seen := map[string]bool{}
		for j, m := range g.Members {
			mf := f + ".members[" + strconv.Itoa(j) + "]"
			if ps.Number(mf, m) && seen[m] {
				ps.Add(mf, "%q listed twice", m)
			}
			seen[m] = true
		}
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
