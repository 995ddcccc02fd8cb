package config

import "fmt"

// notificationNumbers checks what services.notification's own Check
// cannot see: the receivers and deliverers are subscribers.
func (v *validator) notificationNumbers() {
	ns := v.c.Services.Notification.Notifications
	if len(ns) == 0 {
		return
	}
	subs := map[string]bool{}
	for _, s := range v.c.Subscribers() {
		subs[s.Number] = true
	}
	for i, n := range ns {
		for j, r := range n.Receivers {
			if r != "" && !subs[r] {
				v.errorf(fmt.Sprintf("services.notification.notifications[%d].receivers[%d]", i, j), "%q is not a subscriber", r)
			}
		}
		if n.Deliverer != "" && !subs[n.Deliverer] {
			v.errorf(fmt.Sprintf("services.notification.notifications[%d].deliverer", i), "%q is not a subscriber", n.Deliverer)
		}
	}
}
