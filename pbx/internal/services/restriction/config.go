package restriction

import (
	"fmt"

	"pbxlab/pbx/internal/services"
)

// Config is the services.group_restriction section. Default: no groups,
// no restrictions.
type Config struct {
	// Groups are named sets of numbers (exact numbers and prefixes); a
	// number may be in several groups. Default none.
	Groups []Group `yaml:"groups"`
	// Restrictions are the pairs of groups whose calls are barred, in one
	// direction: members of From may not call members of To (add the
	// reverse pair to bar both ways). Default none.
	Restrictions []Restriction `yaml:"restrictions"`
}

// Group is a subscriber group.
type Group struct {
	// Name is the group's name, unique. Required.
	Name string `yaml:"name"`
	// Numbers are exact numbers, Prefixes number prefixes (a callee
	// outside the PBX is matched on the number after the substitution
	// before number analysis). At least one of them.
	Numbers  []string `yaml:"numbers"`
	Prefixes []string `yaml:"prefixes"`
}

// Restriction bars calls from one group to another.
type Restriction struct {
	// From is the calling group, To the called group (names of groups).
	// Both required; they may be the same group (no calls inside it).
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

// Check reports what is wrong with cfg, each problem at its field.
func (cfg Config) Check() services.Problems {
	var ps services.Problems
	groups := map[string]bool{}
	for i, g := range cfg.Groups {
		f := fmt.Sprintf("groups[%d]", i)
		ps.Name(f+".name", g.Name, groups)
		if len(g.Numbers) == 0 && len(g.Prefixes) == 0 {
			ps.Add(f, "give numbers or prefixes")
		}
		for j, n := range g.Numbers {
			ps.Number(fmt.Sprintf("%s.numbers[%d]", f, j), n)
		}
		for j, p := range g.Prefixes {
			ps.Number(fmt.Sprintf("%s.prefixes[%d]", f, j), p)
		}
	}
	pairs := map[Restriction]bool{}
	for i, r := range cfg.Restrictions {
		f := fmt.Sprintf("restrictions[%d]", i)
		if !groups[r.From] {
			ps.Add(f+".from", "unknown group %q", r.From)
		}
		if !groups[r.To] {
			ps.Add(f+".to", "unknown group %q", r.To)
		}
		if pairs[r] {
			ps.Add(f, "%s -> %s listed twice", r.From, r.To)
		}
		pairs[r] = true
	}
	return ps
}
