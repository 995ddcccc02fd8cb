package pbx

import (
	"context"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/services/dnd"
	dndstore "pbxlab/pbx/internal/services/dnd/sqlstore"
	"pbxlab/pbx/internal/services/forward"
	fwdstore "pbxlab/pbx/internal/services/forward/sqlstore"
	"pbxlab/pbx/internal/sipx"
)

// The terminating side of the call services (pbx/internal/services
// terminating.go): call forwarding and do not disturb act on the CALLED
// subscriber. route runs the chain's Terminating point once analysis found
// a subscriber (terminating); Policy.OnFailure runs its Failed point when
// the subscriber's contacts failed (forwardOnFailure). A Divert verdict is
// a new analysis of the forward target (route again, for the same caller:
// the ORIGINAL CALLER's authority and restrictions apply to the forwarded
// leg, as in Asterisk, so that forwarding is no way around a barring),
// returned as a decision marked call.Decision.Diversion: the call layer's
// one redirection mechanism (181 to the caller, Diversion header with the
// reason, targets already tried skipped, 482), as for a followed 3xx
// (redirect.go). A chain of unconditional forwards resolved in one
// analysis carries every hop (Diversion.Earlier).

// divertPath is what one analysis knows of the diversions of its call:
// the numbers diverted from in earlier decisions (applied) and the
// diversions this analysis went through so far (pending).
type divertPath struct {
	applied []string
	pending []call.Diversion
}

type divertKey struct{}

func pathOf(ctx context.Context) divertPath {
	p, _ := ctx.Value(divertKey{}).(divertPath)
	return p
}

// diverted lists the numbers the call was diverted from, oldest first.
func (p divertPath) diverted() []string {
	out := append([]string(nil), p.applied...)
	for _, d := range p.pending {
		out = append(out, d.From.User)
	}
	return out
}

// terminating runs the chain's Terminating point for the subscriber
// callee: done when a service refused or diverted the call; else ring
// bounds how long the callee rings (forwarding on no reply).
func (s *Server) terminating(ctx context.Context, in call.Incoming, sc *services.Call, callee string) (d call.Decision, ring time.Duration, done bool, err error) {
	sc.Callee, sc.Diverted = callee, pathOf(ctx).diverted()
	v, err := s.svc.Terminating(ctx, sc)
	if err != nil {
		return call.Decision{}, 0, true, err
	}
	switch v.Kind {
	case services.Divert:
		d, err := s.divertTo(ctx, in, callee, v)
		return d, 0, true, err
	case services.Refuse:
		if code, _, _ := sipx.StatusOf(v.Err); code == 486 {
			// busy for a service (DND): forwarding on busy applies
			if fv, err := s.svc.Failed(ctx, sc, services.Busy); err != nil || fv.Kind != services.Continue {
				return s.failedVerdict(ctx, in, callee, fv, err)
			}
		}
		s.log.Info("service refused the call", "service", v.By, "caller", sc.Caller, "callee", callee, "error", v.Err)
		return call.Decision{Kind: call.Reject, Callee: callee, Err: v.Err}, 0, true, nil
	}
	return call.Decision{}, v.Ring, false, nil
}

// failedVerdict turns a Failed verdict into the call's decision.
func (s *Server) failedVerdict(ctx context.Context, in call.Incoming, callee string, v services.Verdict, err error) (call.Decision, time.Duration, bool, error) {
	switch {
	case err != nil:
		return call.Decision{}, 0, true, err
	case v.Kind == services.Divert:
		d, err := s.divertTo(ctx, in, callee, v)
		return d, 0, true, err
	}
	s.log.Info("service refused the call", "service", v.By, "caller", in.Caller.Number, "callee", callee, "error", v.Err)
	return call.Decision{Kind: call.Reject, Callee: callee, Err: v.Err}, 0, true, nil
}

// forwardOnFailure is the Failed point in Policy.OnFailure: the callee's
// contacts were busy, did not answer or were unreachable; a forward of
// that kind diverts the call. Nil when no service diverts it.
func (s *Server) forwardOnFailure(ctx context.Context, f call.Failure) (*call.Decision, error) {
	var why services.Failure
	switch f.Kind {
	case call.Busy:
		why = services.Busy
	case call.NoAnswer:
		why = services.NoReply
	case call.Unreachable:
		why = services.Unreachable
	default:
		return nil, nil
	}
	if f.Call == nil || f.Callee == "" || f.Call.Request() == nil {
		return nil, nil
	}
	in := call.Incoming{Caller: f.Caller, Dialled: f.Callee, Request: f.Call.Request()}
	sc := s.serviceCall(in)
	sc.Callee, sc.Diverted = f.Callee, f.Call.DivertedFrom()
	v, err := s.svc.Failed(ctx, sc, why)
	if err != nil || v.Kind == services.Continue {
		return nil, err
	}
	ctx = context.WithValue(ctx, divertKey{}, divertPath{applied: sc.Diverted})
	d, _, _, err := s.failedVerdict(ctx, in, f.Callee, v, nil)
	if err != nil {
		return nil, err
	}
	d = s.intercept(in, s.withCallerID(in, d))
	return &d, nil
}

// divertTo analyses the forward target of v for the same caller, the call
// diverted from callee; a decision that rings something is marked as
// diverted with every hop of this analysis.
func (s *Server) divertTo(ctx context.Context, in call.Incoming, callee string, v services.Verdict) (call.Decision, error) {
	p := pathOf(ctx)
	dv := call.Diversion{From: sip.Uri{Scheme: "sip", User: callee}, Reason: v.Reason}
	p.pending = append(append([]call.Diversion(nil), p.pending...), dv)
	s.log.Info("call forwarded", "service", v.By, "caller", in.Caller.Number, "from", callee, "to", v.Number, "reason", v.Reason, "hop", len(p.applied)+len(p.pending))
	fwd := in
	fwd.Dialled = v.Number
	d, err := s.route(context.WithValue(ctx, divertKey{}, p), fwd)
	if err != nil {
		return d, err
	}
	switch d.Kind {
	case call.ToSubscriber, call.ToGroup, call.ToRoute:
		if d.Diversion == nil {
			last := p.pending[len(p.pending)-1]
			last.Earlier = p.pending[:len(p.pending)-1]
			d.Diversion = &last
		}
	case call.Reject:
		if d.Callee == "" {
			d.Callee = v.Number
		}
	}
	return d, nil
}

// terminatingServices builds call forwarding and do not disturb with
// their SQLite stores.
func (s *Server) terminatingServices(ctx context.Context) (*forward.Service, *dnd.Service, error) {
	cfg := s.cfg.Services
	fst, err := fwdstore.New(ctx, s.db)
	if err != nil {
		return nil, nil, fmt.Errorf("services.forward: %w", err)
	}
	fwd, err := forward.New(cfg.Forward, fst)
	if err != nil {
		return nil, nil, fmt.Errorf("services.forward: %w", err)
	}
	dst, err := dndstore.New(ctx, s.db)
	if err != nil {
		return nil, nil, fmt.Errorf("services.dnd: %w", err)
	}
	d, err := dnd.New(cfg.DND, dst)
	if err != nil {
		return nil, nil, fmt.Errorf("services.dnd: %w", err)
	}
	return fwd, d, nil
}
