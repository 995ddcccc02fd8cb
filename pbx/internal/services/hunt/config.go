package hunt

import (
	"fmt"
	"time"

	"pbxlab/pbx/internal/services"
)

// Strategy is the order a group's members are rung in.
type Strategy string

// Strategies.
const (
	// Sequential rings the members one after another, always from the first.
	Sequential Strategy = "sequential"
	// Circular rings them one after another, starting after the member who
	// took the group's last call (round robin).
	Circular Strategy = "circular"
	// Simultaneous rings every member at once (ring all): the first to
	// answer takes the call.
	Simultaneous Strategy = "simultaneous"
	// LongestIdle rings them one after another, the member whose last call
	// ended longest ago first (a member never in a call first of all).
	LongestIdle Strategy = "longest_idle"
)

// Strategies lists the strategies a group may have.
func Strategies() []Strategy { return []Strategy{Sequential, Circular, Simultaneous, LongestIdle} }

// DefaultRingTime is a member's no-answer timer when Group.RingTime is 0.
const DefaultRingTime = 15 * time.Second

// Config is the services.hunt section.
type Config struct {
	// Groups are the hunt groups. Default none.
	Groups []Group `yaml:"groups"`
}

// Group is one hunt group.
type Group struct {
	// Name names the group: a numbering entry of kind group reaches it
	// with target: <name>. Required, unique.
	Name string `yaml:"name"`
	// Number, when set, is the group's own number (digits): dialled
	// exactly, it reaches the group without a numbering entry. Default
	// none. The login/logout codes name the group by this number, or by
	// its name when it has none.
	Number string `yaml:"number"`
	// Strategy is sequential, circular, simultaneous or longest_idle.
	// Default sequential.
	Strategy Strategy `yaml:"strategy"`
	// Members are the members' subscriber numbers, in hunting order.
	// Required (at least one), no number twice.
	Members []string `yaml:"members"`
	// RingTime is a member's no-answer timer: how long one member rings
	// before the next (sequential strategies), or how long every member
	// rings (simultaneous). Default 15s.
	RingTime time.Duration `yaml:"ring_time"`
	// Overflow is the number a call goes to when no member took it (all
	// busy, not answering, logged out or unregistered): analysed again
	// like a dialled number. Default none: the caller gets the failure
	// (486 busy prompt when a member was busy, else 480).
	Overflow string `yaml:"overflow"`
	// MaxTime bounds how long the group hunts in all (the last member
	// rung rings for what is left). Default 0: no bound beyond the call's
	// no-answer timer (call.no_answer_timeout).
	MaxTime time.Duration `yaml:"max_time"`
}

// Key is how the login/logout codes name the group: its number, else its
// name.
func (g Group) Key() string {
	if g.Number != "" {
		return g.Number
	}
	return g.Name
}

func (g Group) strategy() Strategy {
	if g.Strategy == "" {
		return Sequential
	}
	return g.Strategy
}

func (g Group) ringTime() time.Duration {
	if g.RingTime == 0 {
		return DefaultRingTime
	}
	return g.RingTime
}

// Check reports what is wrong with cfg, each problem at its field.
func (cfg Config) Check() services.Problems {
	var ps services.Problems
	names, numbers := map[string]bool{}, map[string]bool{}
	for i, g := range cfg.Groups {
		f := fmt.Sprintf("groups[%d]", i)
		ps.Name(f+".name", g.Name, names)
		if g.Number != "" && ps.Number(f+".number", g.Number) {
			if numbers[g.Number] {
				ps.Add(f+".number", "%q: another group has this number", g.Number)
			}
			numbers[g.Number] = true
		}
		known := false
		for _, s := range Strategies() {
			known = known || g.strategy() == s
		}
		if !known {
			ps.Add(f+".strategy", "%q: want sequential, circular, simultaneous or longest_idle", g.Strategy)
		}
		if len(g.Members) == 0 {
			ps.Add(f+".members", "at least one member required")
		}
		seen := map[string]bool{}
		for j, m := range g.Members {
			mf := fmt.Sprintf("%s.members[%d]", f, j)
			if ps.Number(mf, m) && seen[m] {
				ps.Add(mf, "%q named twice", m)
			}
			seen[m] = true
		}
		if g.RingTime < 0 {
			ps.Add(f+".ring_time", "%s: must not be negative (0: %s)", g.RingTime, DefaultRingTime)
		}
		if g.MaxTime < 0 {
			ps.Add(f+".max_time", "%s: must not be negative (0: no bound)", g.MaxTime)
		}
		if g.Overflow != "" {
			ps.Number(f+".overflow", g.Overflow)
		}
	}
	return ps
}
