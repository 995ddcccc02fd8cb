package pbx

import (
	"context"

	"pbxlab/internal/sdpneg"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media"
	"pbxlab/pbx/internal/sipx"
)

// Call interception and voice prompts (manual, Call Services ch. 1): a
// call that cannot complete hears its cause's prompt or tone in early media
// (media.prompts) before its final error. Number analysis' refusals
// (intercept) and the failures of a decision's targets (onFailure) become a
// service of the media server; with the media server off, or the cause's
// prompt off, the caller gets the plain final error.

// intercept hands a refusal of number analysis (vacant number, barred) to
// the media server's announcement of its cause. An offer the PBX could not
// bridge anyway keeps the plain refusal.
func (s *Server) intercept(in call.Incoming, d call.Decision) call.Decision {
	code, _, _ := sipx.StatusOf(d.Err)
	return s.interceptAs(in, d, media.CauseOfStatus(code))
}

// interceptAs is intercept with the prompt of cause.
func (s *Server) interceptAs(in call.Incoming, d call.Decision, cause string) call.Decision {
	if d.Kind != call.Reject || s.media == nil {
		return d
	}
	if body := in.Request.Body(); len(body) > 0 && sdpneg.Acceptable(body, sdpneg.DefaultCodecs()) != nil {
		return d
	}
	svc := s.media.Intercept(cause, func(c *call.Call) { c.Reject(d.Err) })
	if svc == nil {
		return d
	}
	return call.Decision{Kind: call.ToService, Callee: d.Callee, Service: svc}
}

// onFailure is the policy's failure hook: every target of a decision
// failed (nobody registered, busy, no answer, refused), so the caller
// hears the cause's prompt, then the failure.
func (s *Server) onFailure(_ context.Context, f call.Failure) (*call.Decision, error) {
	svc := s.media.Intercept(media.CauseOfFailure(f), func(c *call.Call) { c.Fail(f) })
	if svc == nil {
		return nil, nil
	}
	return &call.Decision{Kind: call.ToService, Service: svc}, nil
}

// routeAndIntercept is number analysis with its refusals intercepted, and
// the calls of suspended subscribers refused with their prompt.
func (s *Server) routeAndIntercept(ctx context.Context, in call.Incoming) (call.Decision, error) {
	if d, ok := s.suspendedCaller(in); ok {
		return s.interceptAs(in, d, config.CauseSuspended), nil
	}
	d, err := s.route(ctx, in)
	if err != nil {
		return d, err
	}
	s.busyDecision(in, d) // call back on busy (callback.go)
	if d, ok := s.suspendedCallee(d); ok {
		return s.interceptAs(in, d, config.CauseSuspended), nil
	}
	return s.intercept(in, d), nil
}
