// Package waiting is call waiting (the manual's Call Services; the codes
// and the default are project defaults): a call to a subscriber who is
// already in a call (a call answered or ringing) rings its phones as
// usual when call waiting is on — the phone plays the call-waiting tone
// itself, the PBX does not block — and when it is off the subscriber is
// busy without ringing: the forward on busy takes the call, else the
// caller gets 486 Busy Here with the busy prompt. A phone that answers
// 486 itself is busy as before.
//
//	*58#   call waiting on  (confirmation tone)
//	#58#   call waiting off (confirmation tone)
//
// Precedence: the phone's setting (Store, kept across restarts by
// sqlstore), then services.waiting.subscribers, then
// services.waiting.default (default on, as Asterisk's callwaiting=yes).
//
// The order is fixed (project default): a hunt group's own logic comes
// first (the PBX skips a member who is in a call with waiting off, or has
// DND on: MemberBusy), then for a call to a subscriber unconditional
// forwarding, then do not disturb, then call waiting (the chain's order;
// forwarding on busy applies to a "busy: waiting off" as to any busy).
// Whether a subscriber is in a call is the PBX's knowledge (Lines).
package waiting

import (
	"context"
	"fmt"

	"pbxlab/pbx/internal/services"
)

// Name is the service's switch name.
const Name = "waiting"

// Lines tells whether a subscriber is in a call (answered or ringing).
type Lines interface {
	InCall(subscriber string) bool
}

// Service is call waiting.
type Service struct {
	cfg   Config
	st    Store
	lines Lines
}

// New builds the service of a checked configuration with its store and
// the PBX's view of who is in a call.
func New(cfg Config, st Store, lines Lines) (*Service, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("call waiting: %w", ps[0])
	}
	return &Service{cfg: cfg, st: st, lines: lines}, nil
}

// Name implements services.Service.
func (s *Service) Name() string { return Name }

// Claims implements services.Codes.
func (s *Service) Claims(dialled string) bool { return Parse(dialled) != None }

// On reports whether subscriber has call waiting on: the phone's setting,
// else the configuration's.
func (s *Service) On(ctx context.Context, subscriber string) (bool, error) {
	on, ok, err := s.st.Get(ctx, subscriber)
	if err != nil {
		return false, fmt.Errorf("call waiting of %s: %w", subscriber, err)
	}
	if ok {
		return on, nil
	}
	return s.cfg.on(subscriber), nil
}

// MemberBusy implements services.Member: subscriber is in a call and has
// call waiting off.
func (s *Service) MemberBusy(ctx context.Context, subscriber string) (bool, error) {
	if s.lines == nil || !s.lines.InCall(subscriber) {
		return false, nil
	}
	on, err := s.On(ctx, subscriber)
	return !on, err
}

// Dialled implements services.Dialled: the codes.
func (s *Service) Dialled(_ context.Context, c *services.Call) (services.Verdict, error) {
	return services.ToggleDialled(c, "58", "call-waiting", ErrMalformed, s.st.Put), nil
}

// Terminating implements services.Terminating: a callee in a call with
// call waiting off is busy (486; the PBX then asks forwarding on busy).
func (s *Service) Terminating(ctx context.Context, c *services.Call) (services.Verdict, error) {
	busy, err := s.MemberBusy(ctx, c.Callee)
	if err != nil || !busy {
		return services.Verdict{}, err
	}
	return refuse(486, "Busy Here", fmt.Errorf("call to %s: %w", c.Callee, ErrBusy)), nil
}

// refuse is services.Refusal.
func refuse(code int, reason string, err error) services.Verdict {
	return services.Refusal(code, reason, err)
}
