package pbx

import (
	"context"
	"fmt"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/services/waiting"
	waitstore "pbxlab/pbx/internal/services/waiting/sqlstore"
)

// Call waiting (pbx/internal/services/waiting): the service asks lines
// (lines.go) whether the callee is in a call; at the Terminating point,
// after forwarding and DND, a callee in a call with waiting off is busy
// (486, forwarding on busy applies: forward.go). A hunt group member busy
// for a service (DND on, or in a call with waiting off) is skipped by the
// hunt (memberBusy).

// waitingService builds call waiting with its SQLite store.
func (s *Server) waitingService(ctx context.Context) (*waiting.Service, error) {
	st, err := waitstore.New(ctx, s.db)
	if err != nil {
		return nil, fmt.Errorf("services.waiting: %w", err)
	}
	w, err := waiting.New(s.cfg.Services.Waiting, st, &s.lines)
	if err != nil {
		return nil, fmt.Errorf("services.waiting: %w", err)
	}
	return w, nil
}

// memberBusy reports whether a hunt group member is busy for a service
// (DND, call waiting off while in a call): the hunt skips it.
func (s *Server) memberBusy(ctx context.Context, group, member string) bool {
	by, busy, err := s.svc.MemberBusy(ctx, member)
	if err != nil {
		s.log.Warn("hunt group member: service check", "group", group, "member", member, "error", err)
		return false
	}
	if busy {
		s.log.Info("hunt group member busy for a service; skipped", "group", group, "member", member, "service", by)
	}
	return busy
}

// lineAnswered records who took a call (Policy.OnAnswer).
func (s *Server) lineAnswered(a call.Answered) {
	if a.Call != nil {
		s.lines.add(a.Call.ID(), a.Callee)
	}
}

// lineFailedOver records the subscriber a failed call goes on to
// (forwarding on busy, a hunt's overflow ...).
func (s *Server) lineFailedOver(f call.Failure, d *call.Decision) {
	if f.Call != nil && d != nil && d.Kind == call.ToSubscriber {
		s.lines.add(f.Call.ID(), d.Callee)
	}
}
