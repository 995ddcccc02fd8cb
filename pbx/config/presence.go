package config

import (
	"fmt"
	"maps"
	"slices"
)

// presenceNumbers checks that services.presence.watchers names
// subscribers only (the section's own Check checks the digits).
func (v *validator) presenceNumbers() {
	ws := v.c.Services.Presence.Watchers
	if len(ws) == 0 {
		return
	}
	subs := map[string]bool{}
	for _, s := range v.c.Subscribers() {
		subs[s.Number] = true
	}
	for _, n := range slices.Sorted(maps.Keys(ws)) {
		p := "services.presence.watchers." + n
		if n != "" && !subs[n] {
			v.errorf(p, "%q is not a subscriber", n)
		}
		for i, w := range ws[n] {
			if w != "" && !subs[w] {
				v.errorf(fmt.Sprintf("%s[%d]", p, i), "%q is not a subscriber", w)
			}
		}
	}
}
