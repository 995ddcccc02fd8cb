// Package pickup is the policy of call pickup (manual ch. 16): who may
// pick up which ringing call. While A calls B and B rings, C dials the
// pickup code and takes the call; B stops ringing; A talks to C. Only
// subscribers with the pickup right may pick up (members of a pickup
// group, and the numbers of Config.Right).
//
// The codes (project default): *8# picks up a call ringing another member
// of the picker's groups, *8*<num># a call ringing num (the picker needs
// the right; num may be outside its groups). The rest of the manual's
// rules — A's outgoing authority checked against C, no pickup of a call
// ringing several parties at once, the media server needed — are the
// PBX's (pbx/pickup.go), which knows the calls.
package pickup

import (
	"fmt"
	"slices"
)

// Service is call pickup's policy. It is immutable and safe for
// concurrent use.
type Service struct {
	groups map[string][]string // member → the other members of its groups
	right  map[string]bool
}

// New builds the service from cfg.
func New(cfg Config) (*Service, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("pickup: %w: %w", ErrConfig, ps[0])
	}
	s := &Service{groups: map[string][]string{}, right: map[string]bool{}}
	for _, g := range cfg.Groups {
		for _, m := range g.Members {
			s.right[m] = true
			if _, ok := s.groups[m]; !ok {
				s.groups[m] = []string{}
			}
			for _, o := range g.Members {
				if o != m && !slices.Contains(s.groups[m], o) {
					s.groups[m] = append(s.groups[m], o)
				}
			}
		}
	}
	for _, n := range cfg.Right {
		s.right[n] = true
	}
	return s, nil
}

// Name is the service's name in logs.
func (s *Service) Name() string { return "pickup" }

// Targets says which ringing numbers picker may pick up with code: nil
// and ErrNoRight / ErrNoGroup when it may pick up nothing. A picker never
// picks up a call ringing itself.
func (s *Service) Targets(picker string, code Code) ([]string, error) {
	switch code.Op {
	case Group:
		others, ok := s.groups[picker]
		if !ok {
			return nil, fmt.Errorf("group pickup by %s: %w", picker, ErrNoGroup)
		}
		return others, nil
	case Directed:
		if !s.right[picker] {
			return nil, fmt.Errorf("pickup of %s by %s: %w", code.Number, picker, ErrNoRight)
		}
		if code.Number == picker {
			return nil, nil
		}
		return []string{code.Number}, nil
	}
	return nil, nil
}
