// Package intervention is the policy of call intervention (manual ch.
// 17, switch name ci): while A talks to B, C dials *89*<A># and talks to
// A while B hears call-waiting music; *89# (sent as DTMF in the
// intervention call) leaves and the A–B call resumes; C hanging up ends
// the original call. With the password service: *89*ABCD<A>#, the
// password's owner's right counts. Who may intervene on whom is decided
// here (Resolve); finding A's call and joining the parties is the PBX's
// (pbx/intervention.go), which knows the calls and the media server.
package intervention

import (
	"context"
	"fmt"

	"pbxlab/pbx/internal/services"
)

// Name is the service's switch name (the manual's srv-switch ci).
const Name = "ci"

// Passwords finds the owner of a call password (the password service).
type Passwords interface {
	Owner(pin string) (string, bool)
}

// Directory tells whether a number is a subscriber of the PBX.
type Directory func(number string) bool

// Service is call intervention's policy. It is immutable and safe for
// concurrent use.
type Service struct {
	right, protected map[string]bool
	pw               Passwords // nil: no password variant
	dir              Directory
}

// New builds the service from cfg; pw may be nil (no password variant).
func New(cfg Config, dir Directory, pw Passwords) (*Service, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("intervention: %w: %w", ErrConfig, ps[0])
	}
	if dir == nil {
		return nil, fmt.Errorf("intervention: %w: no directory", ErrConfig)
	}
	set := func(ns []string) map[string]bool {
		m := make(map[string]bool, len(ns))
		for _, n := range ns {
			m[n] = true
		}
		return m
	}
	return &Service{right: set(cfg.Right), protected: set(cfg.Protected), pw: pw, dir: dir}, nil
}

// Name implements services.Service.
func (s *Service) Name() string { return Name }

// Claims implements services.Codes: switched off, a *89 code is 403.
func (s *Service) Claims(dialled string) bool { return Parse(dialled).Op != None }

// Request is an intervention code resolved.
type Request struct {
	Op Op
	// Target is A, the subscriber intervened on (Intervene).
	Target string
	// Intervener is the subscriber whose right counts: the caller, or the
	// password's owner.
	Intervener string
	// Password is true for *89*ABCD<num>#.
	Password bool
}

// Resolve reads what caller (a subscriber when subscriber is true) asks
// with dialled and checks it may: Op None for a number that is not the
// service's; errors ErrMalformed (484), ErrUnknown (404), ErrNoRight,
// ErrWrongPassword, ErrProtected, ErrSelf (403). *89*<digits># is the
// plain form when the digits are a subscriber's number, else the password
// form when they are 4 digits and a subscriber's number.
func (s *Service) Resolve(caller string, subscriber bool, dialled string) (Request, error) {
	code := Parse(dialled)
	switch {
	case code.Op == None:
		return Request{}, nil
	case !subscriber:
		return Request{}, fmt.Errorf("intervention code from %q: %w", caller, ErrNoRight)
	case code.Op == Malformed:
		return Request{}, fmt.Errorf("%q: %w", dialled, ErrMalformed)
	case code.Op == Leave:
		return Request{Op: Leave, Intervener: caller}, nil
	}
	r := Request{Op: Intervene, Target: code.Digits, Intervener: caller}
	if !s.dir(r.Target) {
		pin, num := "", ""
		if len(code.Digits) > 4 {
			pin, num = code.Digits[:4], code.Digits[4:]
		}
		if s.pw == nil || num == "" || !s.dir(num) {
			return Request{}, fmt.Errorf("intervention on %s: %w", code.Digits, ErrUnknown)
		}
		owner, ok := s.pw.Owner(pin)
		if !ok {
			return Request{}, fmt.Errorf("intervention on %s by %s: %w", num, caller, ErrWrongPassword)
		}
		r.Target, r.Intervener, r.Password = num, owner, true
	}
	switch {
	case !s.right[r.Intervener]:
		return Request{}, fmt.Errorf("intervention on %s by %s: %w", r.Target, r.Intervener, ErrNoRight)
	case r.Target == caller || r.Target == r.Intervener:
		return Request{}, fmt.Errorf("intervention on %s by %s: %w", r.Target, caller, ErrSelf)
	case s.protected[r.Target]:
		return Request{}, fmt.Errorf("intervention on %s: %w", r.Target, ErrProtected)
	}
	return r, nil
}

// Dialled implements services.Dialled: a code the caller may not use is
// refused here (the switch was asked by the chain); a good one goes on to
// the PBX, which finds A's call (pbx/intervention.go).
func (s *Service) Dialled(_ context.Context, c *services.Call) (services.Verdict, error) {
	if _, err := s.Resolve(c.Caller, c.Subscriber, c.Dialled); err != nil {
		return services.Verdict{Kind: services.Refuse, Err: Refusal(err)}, nil
	}
	return services.Verdict{}, nil
}
