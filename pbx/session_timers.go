package pbx

import (
	"context"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
)

// Session timers (RFC 4028, pbx/internal/call/timer.go) per leg: the
// caller's leg takes the calling subscriber's settings, a callee's leg
// those of the outbound peer whose address it goes to, else the called
// subscriber's; each falls back to sip.session_timers.

// sessionTimer converts the config's settings for the call layer.
func sessionTimer(st config.SessionTimers) call.SessionTimer {
	r := call.RefresherAuto
	switch st.Refresher {
	case config.RefresherPBX:
		r = call.RefresherPBX
	case config.RefresherPeer:
		r = call.RefresherPeer
	}
	return call.SessionTimer{Expires: st.Expires, MinSE: st.MinSE, Refresher: r}
}

// subscriberTimer is the session timer of a subscriber's legs, nil for
// the global one (no subscriber, or no override).
func (s *Server) subscriberTimer(number string) *call.SessionTimer {
	sub, ok := s.subscriber(number)
	if !ok || sub.SessionTimers == (config.SessionTimers{}) {
		return nil
	}
	st := sessionTimer(s.cfg.SIP.SessionTimers.Over(sub.SessionTimers))
	return &st
}

// targetTimer is the session timer of a leg to dest for callee: the
// peer's when dest is a peer's address, else the callee subscriber's.
func (s *Server) targetTimer(dest, callee string) *call.SessionTimer {
	for _, p := range s.peers {
		if p.has(dest) {
			if p.cfg.SessionTimers == (config.SessionTimers{}) {
				return nil
			}
			st := sessionTimer(s.cfg.SIP.SessionTimers.Over(p.cfg.SessionTimers))
			return &st
		}
	}
	return s.subscriberTimer(callee)
}

// withTimers gives each target of d its session timer.
func (s *Server) withTimers(d call.Decision) call.Decision {
	if len(d.Targets) == 0 {
		return d
	}
	ts := make([]call.Target, len(d.Targets))
	for i, t := range d.Targets {
		t.SessionTimer = s.targetTimer(t.Dest, d.Callee)
		ts[i] = t
	}
	d.Targets = ts
	return d
}

// classifyWithTimers is Policy.Classify with the caller's session timer.
func (s *Server) classifyWithTimers(ctx context.Context, req *sip.Request) (call.Caller, error) {
	c, err := s.authenticate(ctx, req)
	if err == nil && !c.Trusted {
		c.SessionTimer = s.subscriberTimer(c.Number)
	}
	return c, err
}

// routeWithTimers is Policy.Route with each target's session timer.
func (s *Server) routeWithTimers(ctx context.Context, in call.Incoming) (call.Decision, error) {
	d, err := s.routeAndIntercept(ctx, in)
	if err != nil {
		return d, err
	}
	s.lines.decided(in, d) // call waiting (lines.go)
	s.blfDecided(in, d)    // the busy lamp field (presence.go)
	return s.withTimers(s.withCallerID(in, d)), nil
}

// failedWithTimers is Policy.OnFailure with each new target's session timer.
func (s *Server) failedWithTimers(ctx context.Context, f call.Failure) (*call.Decision, error) {
	s.busyFailure(f) // call back on busy (callback.go)
	d, err := s.onTargetsFailed(ctx, f)
	if err != nil || d == nil {
		return d, err
	}
	s.lineFailedOver(f, d)
	s.blf.failedOver(f, d)
	nd := s.withTimers(*d)
	return &nd, nil
}
