// Package dnd is do not disturb (the manual's Call Services): a
// subscriber with DND on is not rung; the caller gets 486 Busy Here with
// the busy prompt, or the subscriber's forward on busy when one is set
// (project default: DND counts as busy, as in Asterisk and FreeSWITCH).
// The codes (project default, the manual digest's table):
//
//	*56#   DND on  (confirmation tone)
//	#56#   DND off (confirmation tone)
//
// The setting from the phone beats the configuration's default
// (services.dnd.subscribers); Store (sqlstore) keeps it across restarts.
// The service acts at the Dialled point (its codes, switched by the
// caller's number) and the Terminating point (switched by the CALLED
// subscriber's number). An unconditional forward runs before it (the
// forward service comes first in the chain: a forwarded phone does not
// ring, DND or not); emergency calls are seen by no service.
package dnd

import (
	"context"
	"fmt"
	"slices"

	"pbxlab/pbx/internal/services"
)

// Name is the service's switch name.
const Name = "dnd"

// Service is do not disturb.
type Service struct {
	cfg Config
	st  Store
}

// New builds the service of a checked configuration with its store.
func New(cfg Config, st Store) (*Service, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("do not disturb: %w", ps[0])
	}
	return &Service{cfg: cfg, st: st}, nil
}

// Name implements services.Service.
func (s *Service) Name() string { return Name }

// Op is what a dialled number asks of the service (services.Toggle).
type Op = services.Toggle

// Ops.
const (
	None      = services.ToggleNone
	On        = services.ToggleOn
	Off       = services.ToggleOff
	Malformed = services.ToggleMalformed
)

// Parse reads *56# (on) and #56# (off); the "#" may arrive raw, escaped
// (%23) or stripped.
func Parse(dialled string) Op { return services.ParseToggle(dialled, "56") }

// Claims implements services.Codes.
func (s *Service) Claims(dialled string) bool { return Parse(dialled) != None }

// On reports whether subscriber has DND on: the phone's setting, else the
// configuration's.
func (s *Service) On(ctx context.Context, subscriber string) (bool, error) {
	on, ok, err := s.st.Get(ctx, subscriber)
	if err != nil {
		return false, fmt.Errorf("dnd of %s: %w", subscriber, err)
	}
	if ok {
		return on, nil
	}
	return slices.Contains(s.cfg.Subscribers, subscriber), nil
}

// Dialled implements services.Dialled: the codes.
func (s *Service) Dialled(_ context.Context, c *services.Call) (services.Verdict, error) {
	return services.ToggleDialled(c, "56", "dnd", ErrMalformed, s.st.Put), nil
}

// MemberBusy implements services.Member: a hunt group member with DND on
// is skipped.
func (s *Service) MemberBusy(ctx context.Context, member string) (bool, error) {
	return s.On(ctx, member)
}

// Terminating implements services.Terminating: a callee with DND on is
// busy (486; the PBX then asks forwarding on busy).
func (s *Service) Terminating(ctx context.Context, c *services.Call) (services.Verdict, error) {
	on, err := s.On(ctx, c.Callee)
	if err != nil || !on {
		return services.Verdict{}, err
	}
	return refuse(486, "Busy Here", fmt.Errorf("call to %s: %w", c.Callee, ErrDND)), nil
}

// refuse is services.Refusal.
func refuse(code int, reason string, err error) services.Verdict {
	return services.Refusal(code, reason, err)
}
