package config

import (
	"fmt"
	"maps"
	"slices"
)

// interventionNumbers checks that the numbers of services.intervention and
// services.password are subscribers.
func (v *validator) interventionNumbers() {
	ci, pw := v.c.Services.Intervention, v.c.Services.Password
	if len(ci.Right) == 0 && len(ci.Protected) == 0 && len(pw.Passwords) == 0 {
		return
	}
	subs := map[string]bool{}
	for _, s := range v.c.Subscribers() {
		subs[s.Number] = true
	}
	for _, l := range []struct {
		path string
		ns   []string
	}{{"services.intervention.right", ci.Right}, {"services.intervention.protected", ci.Protected}} {
		for i, n := range l.ns {
			if n != "" && !subs[n] {
				v.errorf(fmt.Sprintf("%s[%d]", l.path, i), "%q is not a subscriber", n)
			}
		}
	}
	for _, n := range slices.Sorted(maps.Keys(pw.Passwords)) {
		if n != "" && !subs[n] {
			v.errorf("services.password.passwords."+n, "%q is not a subscriber", n)
		}
	}
}
