// Package forward is call forwarding (the manual's Call Services,
// forwarding): unconditional, on busy, on no reply and on unreachable
// (not registered), each set from the phone or in the configuration.
// The codes (project default, the manual digest's table; 42 is ours):
//
//	*57*number#  #57#   unconditional: every call goes to number at once
//	*40*number#  #40#   on busy (every contact 486/600, or DND)
//	*41*number#  #41#   on no reply (after no_reply_after, default 20s)
//	*42*number#  #42#   on unreachable (no registered contact)
//
// A set code is confirmed by the confirmation tone, then the PBX hangs
// up; it is stored (Store; sqlstore keeps it across restarts). A forward
// set or cleared from the phone beats the configured one of the same kind
// (a cleared one turns a configured forward off). The trailing "#" may
// arrive raw, escaped (%23) or not at all.
//
// The service acts at three points (pbx/internal/services): Dialled (its
// codes, switched by the caller's number), Terminating (unconditional
// forwarding, the no-reply time) and Failed (busy, no reply, unreachable),
// both switched by the CALLED subscriber's number. A forward is a Divert
// verdict: the PBX analyses the target number again and diverts the call
// there on the call layer's one redirection mechanism. A target the call
// was already diverted from is a loop (482 Loop Detected); more than
// max_hops diversions get 483 Too Many Hops.
package forward

import (
	"context"
	"fmt"
	"slices"

	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

// Name is the service's switch name.
const Name = "forward"

// Service is call forwarding.
type Service struct {
	cfg Config
	st  Store
}

// New builds the service of a checked configuration with its store.
func New(cfg Config, st Store) (*Service, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("call forwarding: %w", ps[0])
	}
	return &Service{cfg: cfg, st: st}, nil
}

// Name implements services.Service.
func (s *Service) Name() string { return Name }

// Claims implements services.Codes.
func (s *Service) Claims(dialled string) bool { return Parse(dialled).Op != None }

// Target returns subscriber's forward of kind k: the one set from the
// phone, else the configured one; "" is none.
func (s *Service) Target(ctx context.Context, subscriber string, k Kind) (string, error) {
	n, ok, err := s.st.Get(ctx, subscriber, k)
	if err != nil {
		return "", fmt.Errorf("forward of %s: %w", subscriber, err)
	}
	if ok {
		return n, nil
	}
	return s.cfg.Subscribers[subscriber].get(k), nil
}

// Dialled implements services.Dialled: the codes.
func (s *Service) Dialled(_ context.Context, c *services.Call) (services.Verdict, error) {
	code := Parse(c.Dialled)
	switch {
	case code.Op == None:
		return services.Verdict{}, nil
	case !c.Subscriber:
		return refuse(403, "Forbidden", fmt.Errorf("call forwarding code from %q: %w", c.Caller, sipx.ErrForbidden)), nil
	case code.Op == Malformed, code.Op == Set && code.Number == c.Caller:
		return refuse(484, "Address Incomplete", fmt.Errorf("%q: %w", c.Dialled, ErrMalformed)), nil
	}
	number := code.Number // "" for Clear: off, beating the configuration
	return services.Verdict{Kind: services.Feature, Apply: func(ctx context.Context) error {
		return s.st.Put(ctx, c.Caller, code.Kind, number)
	}}, nil
}

// Terminating implements services.Terminating: unconditional forwarding,
// else the no-reply time when a forward on no reply is set.
func (s *Service) Terminating(ctx context.Context, c *services.Call) (services.Verdict, error) {
	n, err := s.Target(ctx, c.Callee, Unconditional)
	if err != nil || n != "" {
		return s.divert(c, Unconditional, n), err
	}
	n, err = s.Target(ctx, c.Callee, NoReply)
	if err != nil || n == "" {
		return services.Verdict{}, err
	}
	return services.Verdict{Ring: s.cfg.noReplyAfter(c.Callee)}, nil
}

// Failed implements services.Failed: forwarding on busy, no reply,
// unreachable.
func (s *Service) Failed(ctx context.Context, c *services.Call, f services.Failure) (services.Verdict, error) {
	var k Kind
	switch f {
	case services.Busy:
		k = Busy
	case services.NoReply:
		k = NoReply
	case services.Unreachable:
		k = Unreachable
	default:
		return services.Verdict{}, nil
	}
	n, err := s.Target(ctx, c.Callee, k)
	if err != nil || n == "" {
		return services.Verdict{}, err
	}
	return s.divert(c, k, n), nil
}

// divert forwards c to n for k: a loop (n is the callee or a number the
// call was diverted from) is 482, a diversion beyond max_hops 483.
func (s *Service) divert(c *services.Call, k Kind, n string) services.Verdict {
	switch {
	case n == c.Callee || slices.Contains(c.Diverted, n):
		return refuse(482, "Loop Detected", fmt.Errorf("forward %s of %s to %s (diverted from %v): %w", k, c.Callee, n, c.Diverted, ErrLoop))
	case len(c.Diverted) >= s.cfg.maxHops():
		return refuse(483, "Too Many Hops", fmt.Errorf("forward %s of %s to %s after %d hops: %w", k, c.Callee, n, len(c.Diverted), ErrTooManyHops))
	}
	return services.Verdict{Kind: services.Divert, Number: n, Reason: k.Reason()}
}

// refuse is services.Refusal.
func refuse(code int, reason string, err error) services.Verdict {
	return services.Refusal(code, reason, err)
}
