// Package restriction is inter-group call restriction (the manual's Call
// Services ch. 4): subscribers are in groups, and a restriction bars the
// members of one group from calling the members of another (directional).
// A barred call hears the barred prompt, then 403.
//
// It acts at the Routed point (pbx/internal/services) on calls of
// subscribers: the caller is matched on its number, the callee on its
// subscriber number, or — for a call leaving the PBX — on the number after
// the substitution before number analysis. The service switch is
// "group_restriction".
package restriction

import (
	"context"
	"fmt"

	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

// Name is the service's switch name.
const Name = "group_restriction"

// Service is inter-group call restriction.
type Service struct {
	groups map[string]services.Numbers
	rules  []Restriction
}

// New builds the service of a checked configuration (see Config.Check).
func New(cfg Config) (*Service, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("group restriction: %w", ps[0])
	}
	s := &Service{groups: map[string]services.Numbers{}, rules: cfg.Restrictions}
	for _, g := range cfg.Groups {
		s.groups[g.Name] = services.NewNumbers(g.Numbers, g.Prefixes)
	}
	return s, nil
}

// Name implements services.Service.
func (s *Service) Name() string { return Name }

// Barred returns the first restriction that bars caller from calling
// callee.
func (s *Service) Barred(caller, callee string) (Restriction, bool) {
	for _, r := range s.rules {
		if s.groups[r.From].Has(caller) > 0 && s.groups[r.To].Has(callee) > 0 {
			return r, true
		}
	}
	return Restriction{}, false
}

// Routed implements services.Routed.
func (s *Service) Routed(_ context.Context, c *services.Call) (services.Verdict, error) {
	if !c.Subscriber || len(s.rules) == 0 {
		return services.Verdict{}, nil
	}
	callee := c.Callee
	if callee == "" {
		callee = c.Called
	}
	r, ok := s.Barred(c.Caller, callee)
	if !ok {
		return services.Verdict{}, nil
	}
	return services.Verdict{Kind: services.Refuse, Err: &sipx.StatusError{Code: 403, Reason: "Forbidden",
		Err: fmt.Errorf("%s (group %s) calling %s (group %s): %w", c.Caller, r.From, callee, r.To, ErrRestricted)}}, nil
}
