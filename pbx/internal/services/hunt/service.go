// Package hunt is hunt groups: a number that rings a group's members by a
// strategy — sequential (always from the first), circular (after the
// member who took the last call), simultaneous (ring all, the first to
// answer wins) or longest idle (the member whose last call ended longest
// ago first) — each member for its no-answer timer (ring_time), skipping
// members that are logged out or not registered; busy members (486) pass
// the call on. When nobody takes it, the call overflows to another number
// (analysed again), else the caller gets the failure.
//
// The service is pure policy: Plan orders the members of a group with what
// it knows (logged-out members from the Store, the last answerer per group
// and each member's last call end in memory, told by Answered and Ended);
// the PBX (pbx/hunt.go) turns a Plan into a call decision.
//
// Members log in and out from the phone (project default):
//
//	*60*<group>#   log in to the group (confirmation tone)
//	#60*<group>#   log out of the group (confirmation tone)
//
// <group> is the group's number, or its name when it has none. The caller
// must be a member (else 403); an unknown group is 404. It acts at the
// Dialled point (pbx/internal/services) for those codes; the service
// switch is "hunt".
package hunt

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

// Name is the service's switch name.
const Name = "hunt"

// Service is the hunt groups.
type Service struct {
	groups map[string]Group // by name
	keys   map[string]string
	st     Store

	mu      sync.Mutex
	lastAns map[string]string    // group -> member who took its last call
	lastEnd map[string]time.Time // member -> end of its last call
}

// New builds the service of a checked configuration with its store.
func New(cfg Config, st Store) (*Service, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("hunt groups: %w", ps[0])
	}
	s := &Service{groups: map[string]Group{}, keys: map[string]string{}, st: st,
		lastAns: map[string]string{}, lastEnd: map[string]time.Time{}}
	for _, g := range cfg.Groups {
		s.groups[g.Name] = g
		s.keys[g.Name] = g.Name
	}
	for _, g := range cfg.Groups {
		if g.Number != "" {
			s.keys[g.Number] = g.Name // a number beats a name
		}
	}
	return s, nil
}

// Name implements services.Service.
func (s *Service) Name() string { return Name }

// Group returns the group named name.
func (s *Service) Group(name string) (Group, bool) {
	g, ok := s.groups[name]
	return g, ok
}

// ByNumber returns the group whose own number is number.
func (s *Service) ByNumber(number string) (Group, bool) {
	if number == "" {
		return Group{}, false
	}
	for _, g := range s.groups {
		if g.Number == number {
			return g, true
		}
	}
	return Group{}, false
}

// Step is one member to ring.
type Step struct {
	Member string
	// Ring is how long the member rings (its no-answer timer).
	Ring time.Duration
}

// Plan is how a call to a group is hunted.
type Plan struct {
	Group Group
	// Steps are the members to ring, in order.
	Steps []Step
	// Parallel: ring every step at once (simultaneous).
	Parallel bool
}

// Plan orders the members of group for a new call: the logged-out
// members and those available says no to (not registered) are left out,
// the rest ordered by the group's strategy; MaxTime shortens the ring
// time of the last ones.
func (s *Service) Plan(ctx context.Context, group string, available func(member string) bool) (Plan, error) {
	g, ok := s.groups[group]
	if !ok {
		return Plan{}, fmt.Errorf("hunt group %q: %w", group, ErrNoGroup)
	}
	out, err := s.st.LoggedOut(ctx, g.Name)
	if err != nil {
		return Plan{}, fmt.Errorf("hunt group %s: %w", g.Name, err)
	}
	members := s.order(g)
	p := Plan{Group: g, Parallel: g.strategy() == Simultaneous}
	left := g.MaxTime
	for _, m := range members {
		if out[m] || (available != nil && !available(m)) {
			continue
		}
		ring := g.ringTime()
		if g.MaxTime > 0 {
			if left <= 0 {
				break
			}
			ring = min(ring, left)
			if !p.Parallel {
				left -= ring
			}
		}
		p.Steps = append(p.Steps, Step{Member: m, Ring: ring})
	}
	return p, nil
}

// order is the group's members in the order of its strategy.
func (s *Service) order(g Group) []string {
	members := slices.Clone(g.Members)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch g.strategy() {
	case Circular:
		if i := slices.Index(members, s.lastAns[g.Name]); i >= 0 {
			members = append(members[i+1:], members[:i+1]...)
		}
	case LongestIdle:
		slices.SortStableFunc(members, func(a, b string) int { return s.lastEnd[a].Compare(s.lastEnd[b]) })
	}
	return members
}

// Answered tells the service member took a call to group (circular
// strategy: the next call starts after it).
func (s *Service) Answered(group, member string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastAns[group] = member
}

// Ended tells the service a call of number ended at t (longest idle).
// Numbers that are no member are not kept.
func (s *Service) Ended(number string, t time.Time) {
	if !s.isMember(number) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.After(s.lastEnd[number]) {
		s.lastEnd[number] = t
	}
}

func (s *Service) isMember(number string) bool {
	for _, g := range s.groups {
		if slices.Contains(g.Members, number) {
			return true
		}
	}
	return false
}

// Claims implements services.Codes.
func (s *Service) Claims(dialled string) bool { return Parse(dialled).Op != None }

// Dialled implements services.Dialled: the login/logout codes.
func (s *Service) Dialled(_ context.Context, c *services.Call) (services.Verdict, error) {
	code := Parse(c.Dialled)
	switch code.Op {
	case None:
		return services.Verdict{}, nil
	case Malformed:
		return refuse(484, "Address Incomplete", fmt.Errorf("%q: %w", c.Dialled, ErrMalformed)), nil
	}
	if !c.Subscriber {
		return refuse(403, "Forbidden", fmt.Errorf("hunt group code from %q: %w", c.Caller, sipx.ErrForbidden)), nil
	}
	name, ok := s.keys[code.Group]
	if !ok {
		return refuse(404, "Not Found", fmt.Errorf("%s dialling %s: %q: %w", c.Caller, code.Op, code.Group, ErrNoGroup)), nil
	}
	if !slices.Contains(s.groups[name].Members, c.Caller) {
		return refuse(403, "Forbidden", fmt.Errorf("%s in %s: %w", c.Caller, name, ErrNotMember)), nil
	}
	out := code.Op == Logout
	return services.Verdict{Kind: services.Feature, Apply: func(ctx context.Context) error {
		return s.st.SetLoggedOut(ctx, name, c.Caller, out)
	}}, nil
}

// refuse is services.Refusal.
func refuse(code int, reason string, err error) services.Verdict {
	return services.Refusal(code, reason, err)
}
