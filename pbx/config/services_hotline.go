package config

import (
	"maps"
	"slices"
)

// hotlineSecretaryNumbers checks that the subscribers services.hotline
// and services.secretary name exist: the subscribers with a configured
// hotline (the hotline number may be any number, an external one through
// a route), the bosses and their secretaries (allowed callers may be any
// number: a caller from a trunk).
func (v *validator) hotlineSecretaryNumbers() {
	sv := v.c.Services
	if len(sv.Hotline.Subscribers) == 0 && len(sv.Secretary.Bosses) == 0 {
		return
	}
	subs := map[string]bool{}
	for _, s := range v.c.Subscribers() {
		subs[s.Number] = true
	}
	for _, n := range slices.Sorted(maps.Keys(sv.Hotline.Subscribers)) {
		if !subs[n] {
			v.errorf("services.hotline.subscribers."+n, "%q is not a subscriber", n)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(sv.Secretary.Bosses)) {
		if !subs[n] {
			v.errorf("services.secretary.bosses."+n, "%q is not a subscriber", n)
		}
		if sec := sv.Secretary.Bosses[n].Secretary; sec != "" && !subs[sec] {
			v.errorf("services.secretary.bosses."+n+".secretary", "%q is not a subscriber", sec)
		}
	}
}
