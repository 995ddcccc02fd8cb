package pbx

import (
	"context"
	"fmt"
	"sync"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/numbering"
	"pbxlab/pbx/internal/services/hunt"
	"pbxlab/pbx/internal/sipx"
)

// Hunt groups (pbx/internal/services/hunt): a call reaches a group by its
// own number (services.hunt.groups[].number, dialled exactly) or by a
// numbering entry of kind group whose target names it. The service orders
// the members (Plan); here each member is located — a member with no
// reachable binding is skipped, and so are a suspended member and the
// caller — and the plan becomes one decision: a
// sequential one (each member's first binding for its ring time; a busy
// member's 486 passes the call on) or a parallel one (ring all: every
// binding of every member, each for the ring time). When every member
// failed, the call overflows to the group's overflow number, analysed
// again like a dialled one; without one the caller gets the failure
// (486 with the busy prompt when a member was busy, else 480).
//
// The service learns who took a call (circular) from OnAnswer, and when
// each member's calls end (longest idle) from OnHangup.

// maxOverflows bounds a chain of overflows from group to group (a loop).
const maxOverflows = 4

// huntRun is a call being hunted, by the caller's Call-ID.
type huntRun struct {
	group     string
	in        call.Incoming
	members   map[string]string // target URI -> member
	overflows int
	answered  string // the member who took the call
	done      bool   // the group's failure was handled: overflowed or let through
}

// huntRuns are the calls being hunted.
type huntRuns struct {
	mu sync.Mutex
	m  map[string]*huntRun
}

func (h *huntRuns) get(id string) *huntRun {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.m[id]
}

func (h *huntRuns) put(id string, r *huntRun) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]*huntRun{}
	}
	h.m[id] = r
}

func (h *huntRuns) take(id string) *huntRun {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.m[id]
	delete(h.m, id)
	return r
}

// routeHunt takes a call for a hunt group: dialled as the group's own
// number, or analysed to a numbering entry of kind group.
func (s *Server) routeHunt(ctx context.Context, in call.Incoming, a analysed, aerr error) (call.Decision, bool, error) {
	if s.hunt == nil {
		return call.Decision{}, false, nil
	}
	g, ok := s.hunt.ByNumber(in.Dialled)
	if !ok && aerr == nil && a.result.Kind == numbering.Group {
		if g, ok = s.hunt.Group(a.result.Target); !ok {
			return call.Decision{Kind: call.Reject, Callee: in.Dialled, Err: fmt.Errorf("%w: hunt group %q: %w", sipx.ErrNotFound, a.result.Target, hunt.ErrNoGroup)}, true, nil
		}
	}
	if !ok {
		return call.Decision{}, false, nil
	}
	d, err := s.huntDecision(ctx, in, g, 0)
	return d, true, err
}

// huntDecision plans the group's hunt and turns it into a decision.
func (s *Server) huntDecision(ctx context.Context, in call.Incoming, g hunt.Group, overflows int) (call.Decision, error) {
	located := map[string][]call.Target{}
	plan, err := s.hunt.Plan(ctx, g.Name, func(member string) bool {
		if member == in.Caller.Number {
			return false // a member calling its own group is not rung
		}
		if s.dir.Suspended(member) {
			return false // a suspended subscriber is not called (admin API)
		}
		if s.memberBusy(ctx, g.Name, member) {
			return false // DND on, or in a call with call waiting off (waiting.go)
		}
		ts, err := s.locate(ctx, member)
		if err != nil {
			s.log.Info("hunt group member not located", "group", g.Name, "member", member, "error", err)
		}
		located[member] = ts
		return len(ts) > 0
	})
	if err != nil {
		return call.Decision{}, err
	}
	callee := g.Number
	if callee == "" {
		callee = in.Dialled
	}
	run := &huntRun{group: g.Name, in: in, members: map[string]string{}, overflows: overflows}
	d := call.Decision{Kind: call.ToGroup, Callee: callee, Sequential: !plan.Parallel}
	for _, st := range plan.Steps {
		ts := located[st.Member]
		if !plan.Parallel {
			ts = ts[:1] // one binding per member: the hunt moves member by member
		}
		for _, t := range ts {
			t.Ring = st.Ring
			run.members[t.URI.String()] = st.Member
			d.Targets = append(d.Targets, t)
		}
	}
	s.log.Info("hunt group", "group", g.Name, "caller", in.Caller.Number, "members", len(plan.Steps), "parallel", plan.Parallel)
	if in.Request != nil && in.Request.CallID() != nil {
		s.huntRuns.put(in.Request.CallID().Value(), run)
	}
	return d, nil
}

// huntAnswered (Policy.OnAnswer) tells the service which member took a
// hunted call.
func (s *Server) huntAnswered(a call.Answered) {
	if s.hunt == nil {
		return
	}
	run := s.huntRuns.get(a.Call.ID())
	if run == nil {
		return
	}
	t, ok := a.Call.AnsweredBy()
	if !ok {
		return
	}
	if m, ok := run.members[t.URI.String()]; ok {
		run.answered = m
		s.lines.add(a.Call.ID(), m) // the member is in a call (call waiting)
		s.hunt.Answered(run.group, m)
	}
}

// huntEnded (Policy.OnHangup) tells the service a call of its members
// ended (longest idle) and forgets the call's hunt.
func (s *Server) huntEnded(e call.Ended) {
	if s.hunt == nil {
		return
	}
	now := s.clock.Now()
	if run := s.huntRuns.take(e.Record.CallID); run != nil && run.answered != "" {
		s.hunt.Ended(run.answered, now)
	}
	s.hunt.Ended(e.Record.Caller, now)
	s.hunt.Ended(e.Record.Callee, now)
}

// huntOverflow (Policy.OnFailure) sends a hunted call nobody took to its
// group's overflow number, analysed again; nil when the call is not a
// hunt's, the group has no overflow, or it overflowed already.
func (s *Server) huntOverflow(ctx context.Context, f call.Failure) (*call.Decision, error) {
	if s.hunt == nil || f.Call == nil {
		return nil, nil
	}
	run := s.huntRuns.get(f.Call.ID())
	if run == nil || run.done {
		return nil, nil
	}
	run.done = true
	g, _ := s.hunt.Group(run.group)
	if g.Overflow == "" {
		return nil, nil
	}
	if run.overflows >= maxOverflows {
		s.log.Warn("hunt group overflow: too many overflows", "group", g.Name, "overflows", run.overflows)
		return nil, nil
	}
	s.log.Info("hunt group overflow", "group", g.Name, "failure", f.Kind.String(), "overflow", g.Overflow)
	in := run.in
	in.Dialled = g.Overflow
	if og, ok := s.hunt.ByNumber(g.Overflow); ok {
		d, err := s.huntDecision(ctx, in, og, run.overflows+1)
		return &d, err
	}
	d, err := s.route(ctx, in)
	if err != nil {
		return nil, err
	}
	if next := s.huntRuns.get(f.Call.ID()); next != nil && next != run {
		next.overflows = run.overflows + 1 // an overflow to a group through numbering
	}
	return &d, nil
}
