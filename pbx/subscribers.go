package pbx

import (
	"context"
	"fmt"
	"slices"

	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/directory"
	"pbxlab/pbx/internal/numbering"
	"pbxlab/pbx/internal/sipx"
)

// Subscriber management (manual, Call Services ch. 2): the subscribers of
// the configuration are the base of a run-time directory
// (internal/directory) that the admin API (admin_subscribers.go) adds to,
// suspends, resumes and deletes from; the changes are kept in the store and
// applied over the configuration at the next start.
//
// A suspended subscriber keeps its registrations; its calls get the
// "suspended" prompt (media.prompts.suspended, default media ID
// service-suspended), then 403 Forbidden when it calls and 480 Temporarily
// Unavailable when it is called (@project-default: 403 because the PBX
// refuses the caller's service, as RFC 3261 §21.4.4 "understood but
// refused"; 480 because the callee exists and may be back, as for a
// subscriber that is not registered).

// initDirectory opens the directory on the store and, when subscribers were
// added at run time, rebuilds the numbering plan with them.
func (s *Server) initDirectory(ctx context.Context) error {
	st, err := directory.NewSQLStore(ctx, s.db)
	if err != nil {
		return err
	}
	if s.dir, err = directory.New(ctx, s.cfg.Subscribers(), st); err != nil {
		return err
	}
	if defined := s.dir.Defined(); len(defined) > 0 {
		p, err := s.planWith(defined)
		if err != nil {
			return fmt.Errorf("subscribers added at run time: %w", err)
		}
		s.plan.Store(p)
	}
	return nil
}

// subscriber returns the subscriber of number (active or suspended).
func (s *Server) subscriber(number string) (config.Subscriber, bool) {
	return s.dir.Lookup(number)
}

// planWith is the configuration's numbering plan with the subscribers
// added at run time (a configured number deleted and added again keeps its
// configured entry).
func (s *Server) planWith(defined []config.Subscriber) (*numbering.Plan, error) {
	c := *s.cfg
	c.ExplicitSubscribers = slices.Clip(c.ExplicitSubscribers)
	for _, sub := range defined {
		if !s.dir.Configured(sub.Number) {
			c.ExplicitSubscribers = append(c.ExplicitSubscribers, sub)
		}
	}
	return c.NumberingPlan()
}

// suspendedCaller refuses the call of a suspended subscriber (before
// number analysis: it reaches nothing, not even a service number): 403
// after the suspended prompt. ok is false for any other caller (a trunk's
// caller whose number happens to be a suspended subscriber's included),
// and for an emergency number: an emergency call is always routed (manual
// Call Services ch. 3), from a suspended subscriber too.
func (s *Server) suspendedCaller(in call.Incoming) (call.Decision, bool) {
	if in.Caller.Trusted || in.Caller.Peer != "" || !s.dir.Suspended(in.Caller.Number) || s.svc.IsEmergency(in.Dialled) {
		return call.Decision{}, false
	}
	return call.Decision{Kind: call.Reject, Err: &sipx.StatusError{Code: 403, Reason: "Forbidden (Subscriber Suspended)",
		Err: fmt.Errorf("caller %s: %w", in.Caller.Number, ErrSuspended)}}, true
}

// suspendedCallee refuses a call routed to a suspended subscriber: 480
// after the suspended prompt. ok is false for any other decision.
func (s *Server) suspendedCallee(d call.Decision) (call.Decision, bool) {
	if d.Kind != call.ToSubscriber || !s.dir.Suspended(d.Callee) {
		return d, false
	}
	return call.Decision{Kind: call.Reject, Callee: d.Callee, Err: &sipx.StatusError{Code: 480, Reason: "Temporarily Unavailable (Subscriber Suspended)",
		Err: fmt.Errorf("callee %s: %w", d.Callee, ErrSuspended)}}, true
}
