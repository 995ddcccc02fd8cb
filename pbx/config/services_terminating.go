package config

import (
	"maps"
	"slices"
	"strconv"
)

// serviceSubscribers checks that the subscribers the terminating services
// (services.forward, services.dnd, services.waiting) name exist; their targets may be any
// number (an external one through a route).
func (v *validator) serviceSubscribers() {
	sv := v.c.Services
	if len(sv.Forward.Subscribers) == 0 && len(sv.DND.Subscribers) == 0 && len(sv.Waiting.Subscribers) == 0 {
		return
	}
	subs := map[string]bool{}
	for _, s := range v.c.Subscribers() {
		subs[s.Number] = true
	}
	for _, n := range slices.Sorted(maps.Keys(sv.Forward.Subscribers)) {
		if !subs[n] {
			v.errorf("services.forward.subscribers."+n, "%q is not a subscriber", n)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(sv.Waiting.Subscribers)) {
		if !subs[n] {
			v.errorf("services.waiting.subscribers."+n, "%q is not a subscriber", n)
		}
	}
	for i, n := range sv.DND.Subscribers {
		if !subs[n] {
			v.errorf("services.dnd.subscribers["+strconv.Itoa(i)+"]", "%q is not a subscriber", n)
		}
	}
}
