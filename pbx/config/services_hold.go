package config

import (
	"maps"
	"slices"
)

// holdSubscribers checks that services.hold.subscribers names subscribers
// (the service's own Check has the modes and the number syntax).
func (v *validator) holdSubscribers() {
	hs := v.c.Services.Hold.Subscribers
	if len(hs) == 0 {
		return
	}
	subs := map[string]bool{}
	for _, s := range v.c.Subscribers() {
		subs[s.Number] = true
	}
	for _, n := range slices.Sorted(maps.Keys(hs)) {
		if !subs[n] {
			v.errorf("services.hold.subscribers."+n, "%q is not a subscriber", n)
		}
	}
}
