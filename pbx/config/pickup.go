package config

import "fmt"

// pickupNumbers checks what services.pickup's own Check cannot see: the
// members of the pickup groups and the numbers with the pickup right are
// subscribers.
func (v *validator) pickupNumbers() {
	pk := v.c.Services.Pickup
	if len(pk.Groups) == 0 && len(pk.Right) == 0 {
		return
	}
	subs := map[string]bool{}
	for _, s := range v.c.Subscribers() {
		subs[s.Number] = true
	}
	for i, g := range pk.Groups {
		for j, m := range g.Members {
			if m != "" && !subs[m] {
				v.errorf(fmt.Sprintf("services.pickup.groups[%d].members[%d]", i, j), "%q is not a subscriber", m)
			}
		}
	}
	for i, n := range pk.Right {
		if n != "" && !subs[n] {
			v.errorf(fmt.Sprintf("services.pickup.right[%d]", i), "%q is not a subscriber", n)
		}
	}
}
