package pbx

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/tod"
)

// WithRand draws the weighted route spread's first peers from src
// (tests: a seeded rand.NewPCG). Default: math/rand/v2's own source.
func WithRand(src rand.Source) Option {
	return func(s *Server) {
		if src != nil {
			s.spread = &drawer{r: rand.New(src)}
		}
	}
}

// drawer is a Server's source of draws for weighted spreads; a nil
// drawer draws from math/rand/v2's global source.
type drawer struct {
	mu sync.Mutex
	r  *rand.Rand
}

// intN returns a number in [0, n).
func (d *drawer) intN(n int) int {
	if d == nil {
		return rand.IntN(n)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.r.IntN(n)
}

// route is a configured route (config routes[]): its schedules'
// peer sets in order, then its own.
type route struct {
	name     string
	sets     []*peerSet
	progress time.Duration // routes[].progress_timeout (call.Target.Progress)
}

// peerSet is the peers of a route or of one of its schedules, with the
// spread's state.
type peerSet struct {
	label   string        // the schedule's (Label), "" for the route's own peers
	when    *tod.Schedule // nil: always (the route's own peers)
	peers   []string
	spread  string
	weights map[string]int
	next    atomic.Uint64 // round robin position
}

// newRoute builds the route of a valid configuration. A schedule that
// does not compile (validation refuses it; a Config changed in Go
// may not) is logged and left out.
func (s *Server) newRoute(r config.Route) *route {
	out := &route{name: r.Name, progress: r.Progress()}
	for i, sc := range r.Schedules {
		when, err := sc.Compile()
		if err != nil {
			s.log.Error("route schedule left out", "route", r.Name, "schedule", sc.Label(i), "err", err)
			continue
		}
		out.sets = append(out.sets, &peerSet{label: sc.Label(i), when: when, peers: sc.Peers, spread: sc.ScheduleSpread(), weights: sc.Weights})
	}
	out.sets = append(out.sets, &peerSet{peers: r.Peers, spread: r.RouteSpread(), weights: r.Weights})
	return out
}

// at is the peer set that applies at now: the first schedule that
// matches, else the route's own peers.
func (r *route) at(now time.Time) *peerSet {
	for _, ps := range r.sets {
		if ps.when == nil || ps.when.Match(now) {
			return ps
		}
	}
	return r.sets[len(r.sets)-1]
}

// order is the set's peers in the order this call tries them: as
// configured, or for round_robin starting one further at each call (a
// weighted spread reorders the targets later, among the peers that can
// take the call: weighFirst).
func (ps *peerSet) order() []string {
	p := ps.peers
	if ps.spread != config.SpreadRoundRobin || len(p) < 2 {
		return p
	}
	k := int((ps.next.Add(1) - 1) % uint64(len(p)))
	return append(append([]string(nil), p[k:]...), p[:k]...)
}

// weighFirst moves one of targets to the front, drawn in proportion to
// the weights of their peers; the others keep their order (the failover
// after the first attempt). Only the targets that can take the call
// are drawn from, so a peer that is down does not hand its share to the
// peer after it.
func (ps *peerSet) weighFirst(targets []call.Target, d *drawer) {
	if ps.spread != config.SpreadWeighted || len(targets) < 2 {
		return
	}
	total := 0
	for _, t := range targets {
		total += max(ps.weights[t.Peer], 0)
	}
	if total <= 0 {
		return
	}
	n := d.intN(total)
	for i, t := range targets {
		if n -= max(ps.weights[t.Peer], 0); n < 0 {
			copy(targets[1:i+1], targets[:i])
			targets[0] = t
			return
		}
	}
}
