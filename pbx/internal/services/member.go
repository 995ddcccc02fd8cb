package services

import (
	"context"
	"fmt"
)

// Member is the hook of a terminating service asked about a hunt group
// member before the hunt rings it (pbx/hunt.go): a member busy for the
// service (DND on; in a call with call waiting off) is skipped.
type Member interface {
	Service
	MemberBusy(ctx context.Context, member string) (bool, error)
}

// MemberBusy asks the Member hooks of the services switched on for member
// whether one of them makes it busy; it names that service.
func (ch *Chain) MemberBusy(ctx context.Context, member string) (string, bool, error) {
	c := &Call{Callee: member}
	for _, s := range ch.svcs {
		h, ok := s.(Member)
		if !ok || !ch.onCallee(s, c) {
			continue
		}
		busy, err := h.MemberBusy(ctx, member)
		if err != nil {
			return "", false, fmt.Errorf("service %s: %w", s.Name(), err)
		}
		if busy {
			return s.Name(), true, nil
		}
	}
	return "", false, nil
}
