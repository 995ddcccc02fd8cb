// Package authority is outgoing call authority control (the manual's Call
// Services ch. 5): numbers fall into classes by prefix (internal, local,
// national, international, premium ...), each subscriber has a role (the
// manual's subscriber type and role) that may call up to one class, and
// a call beyond the caller's class is barred — the PBX plays the barred
// prompt (call interception, ch. 1) and answers 403.
//
// It acts at the Routed point (pbx/internal/services) on calls of
// subscribers only: a trusted peer's call (a trunk's) is not its
// business. The service switch is "authority".
package authority

import (
	"context"
	"fmt"

	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

// Name is the service's switch name.
const Name = "authority"

// Service is outgoing call authority.
type Service struct {
	rank     map[string]int // class -> rank, 0 lowest
	classes  []string
	byPrefix services.Assign // number -> class
	roleRank map[string]int  // role -> highest rank
	members  services.Assign // number -> role
	defRole  string
}

// New builds the service of a checked configuration (see Config.Check).
func New(cfg Config) (*Service, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("authority: %w", ps[0])
	}
	s := &Service{rank: map[string]int{}, roleRank: map[string]int{}, defRole: cfg.DefaultRole}
	for i, c := range cfg.Classes {
		s.rank[c.Name] = i
		s.classes = append(s.classes, c.Name)
		s.byPrefix.Add(c.Name, nil, c.Prefixes)
	}
	for _, r := range cfg.Roles {
		s.roleRank[r.Name] = s.rank[r.Class]
	}
	for _, m := range cfg.Members {
		s.members.Add(m.Role, m.Numbers, m.Prefixes)
	}
	return s, nil
}

// Name implements services.Service.
func (s *Service) Name() string { return Name }

// Class is the class of a call to number: the lowest for a call that
// stays inside, else the class of its longest prefix, else the highest.
func (s *Service) Class(number string, internal bool) string {
	if len(s.classes) == 0 {
		return ""
	}
	if internal {
		return s.classes[0]
	}
	if c, ok := s.byPrefix.Lookup(number); ok {
		return c
	}
	return s.classes[len(s.classes)-1]
}

// Role is the role of a subscriber ("" for none: unrestricted).
func (s *Service) Role(number string) string {
	if r, ok := s.members.Lookup(number); ok {
		return r
	}
	return s.defRole
}

// Routed implements services.Routed: a subscriber's call to a class
// beyond its role's is refused with 403 (cause barred).
func (s *Service) Routed(_ context.Context, c *services.Call) (services.Verdict, error) {
	if !c.Subscriber || len(s.classes) == 0 {
		return services.Verdict{}, nil
	}
	role := s.Role(c.Caller)
	if role == "" {
		return services.Verdict{}, nil
	}
	class := s.Class(c.Called, c.Internal)
	if s.rank[class] <= s.roleRank[role] {
		return services.Verdict{}, nil
	}
	return services.Verdict{Kind: services.Refuse, Err: &sipx.StatusError{Code: 403, Reason: "Forbidden",
		Err: fmt.Errorf("%s (role %s) calling %s (class %s): %w", c.Caller, role, c.Called, class, ErrBarred)}}, nil
}
