// Package secretary is the secretary service (boss/secretary filtering,
// the manual's Call Services; codes are this project's): calls to a boss
// go to the boss's secretary, except those from the callers on the
// boss's allowed list and from the secretary; the secretary puts a call
// through with the ordinary transfer (a transfer is the secretary's call:
// it rings the boss). The boss turns filtering on and off:
//
//	*53#   filtering on  (confirmation tone)
//	#53#   filtering off (confirmation tone)
//
// The setting from the phone beats the configuration's (services.
// secretary.bosses.<boss>.filter, default on); Store (sqlstore) keeps it
// across restarts. The service acts at the Dialled point (its codes,
// switched by the caller's number) and the Terminating point (switched by
// the CALLED boss's number): a filtered call is a Divert to the secretary
// with the reason "unconditional" (RFC 5806; the caller gets 181, the
// secretary's INVITE a Diversion header, the CDR the path), so the
// secretary's own services (DND, forwarding) apply to it.
package secretary

import (
	"context"
	"fmt"
	"slices"

	"pbxlab/pbx/internal/services"
)

// Name is the service's switch name.
const Name = "secretary"

// code is the filtering code (*53# on, #53# off).
const code = "53"

// Reason is the RFC 5806 diversion reason of a filtered call.
const Reason = "unconditional"

// Service is boss/secretary filtering.
type Service struct {
	cfg Config
	st  Store
}

// New builds the service of a checked configuration with its store.
func New(cfg Config, st Store) (*Service, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("secretary: %w", ps[0])
	}
	return &Service{cfg: cfg, st: st}, nil
}

// Name implements services.Service.
func (s *Service) Name() string { return Name }

// Parse reads *53# (on) and #53# (off); the "#" may arrive raw, escaped
// (%23) or stripped.
func Parse(dialled string) services.Toggle { return services.ParseToggle(dialled, code) }

// Claims implements services.Codes.
func (s *Service) Claims(dialled string) bool { return Parse(dialled) != services.ToggleNone }

// Filtering reports whether boss's calls are filtered now: the phone's
// setting, else the configuration's; false for a number that is no boss.
func (s *Service) Filtering(ctx context.Context, boss string) (bool, error) {
	b, ok := s.cfg.Bosses[boss]
	if !ok {
		return false, nil
	}
	on, set, err := s.st.Get(ctx, boss)
	if err != nil {
		return false, fmt.Errorf("secretary filtering of %s: %w", boss, err)
	}
	if set {
		return on, nil
	}
	return b.Filter != SettingOff, nil
}

// Dialled implements services.Dialled: the codes, for bosses only (403
// for anybody else).
func (s *Service) Dialled(_ context.Context, c *services.Call) (services.Verdict, error) {
	if Parse(c.Dialled) == services.ToggleNone {
		return services.Verdict{}, nil
	}
	if _, boss := s.cfg.Bosses[c.Caller]; c.Subscriber && !boss {
		return services.Refusal(403, "Forbidden", fmt.Errorf("secretary code from %q: %w", c.Caller, ErrNotBoss)), nil
	}
	return services.ToggleDialled(c, code, "secretary", ErrMalformed, s.st.Put), nil
}

// Terminating implements services.Terminating: a call to a boss with
// filtering on goes to the secretary unless it comes from the secretary,
// the boss, a caller on the allowed list, or was diverted from the
// secretary already (the secretary's own forward to the boss).
func (s *Service) Terminating(ctx context.Context, c *services.Call) (services.Verdict, error) {
	b, ok := s.cfg.Bosses[c.Callee]
	if !ok {
		return services.Verdict{}, nil
	}
	on, err := s.Filtering(ctx, c.Callee)
	if err != nil || !on {
		return services.Verdict{}, err
	}
	switch {
	case c.Caller == b.Secretary, c.Caller == c.Callee, slices.Contains(b.Allowed, c.Caller), slices.Contains(c.Diverted, b.Secretary):
		return services.Verdict{}, nil
	}
	return services.Verdict{Kind: services.Divert, Number: b.Secretary, Reason: Reason}, nil
}
