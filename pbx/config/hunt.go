package config

import (
	"fmt"
	"slices"

	"pbxlab/pbx/internal/numbering"
)

// huntGroups checks what services.hunt's own Check cannot see: members
// are subscribers, a group's own number is no subscriber's, and a
// numbering entry of kind group names a group. (A group's own number is
// a numbering entry of kind group made from the group, numberingConfig.)
func (v *validator) huntGroups() {
	subs := map[string]bool{}
	for _, s := range v.c.Subscribers() {
		subs[s.Number] = true
	}
	groups := v.c.Services.Hunt.Groups
	for i, g := range groups {
		path := fmt.Sprintf("services.hunt.groups[%d]", i)
		if subs[g.Number] {
			v.errorf(path+".number", "%q is a subscriber's number", g.Number)
		}
		for j, m := range g.Members {
			if m != "" && !subs[m] {
				v.errorf(fmt.Sprintf("%s.members[%d]", path, j), "%q is not a subscriber", m)
			}
		}
	}
	for i, e := range v.c.Numbering.Entries {
		if k, ok := numbering.ParseKind(e.Kind); !ok || k != numbering.Group {
			continue
		}
		if !slices.ContainsFunc(groups, func(g HuntGroup) bool { return g.Name == e.Target }) {
			v.errorf(fmt.Sprintf("numbering.entries[%d].target", i), "%q names no hunt group (services.hunt.groups)", e.Target)
		}
	}
}
