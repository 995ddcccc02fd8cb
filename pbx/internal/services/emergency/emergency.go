// Package emergency is the list of emergency numbers (the manual's Call
// Services ch. 3: an emergency call is always routable, bypassing call
// authority). The chain of services (pbx/internal/services) consults it
// before every service: a call whose number, as dialled or after the
// substitution before number analysis, is on the list is seen by no
// service — not outgoing call authority, not inter-group restriction, not
// DND-like services, whatever the service switches say. It still needs a
// number analysis entry that routes it (a route to a carrier).
package emergency

import (
	"fmt"

	"pbxlab/pbx/internal/services"
)

// Config is the services.emergency section.
type Config struct {
	// Numbers are the emergency numbers, matched exactly. Default
	// DefaultNumbers; an empty list ([]) has none.
	Numbers []string `yaml:"numbers"`
}

// DefaultNumbers are the emergency numbers of the default configuration
// (project default): the manual's Chinese market — 110 police, 119 fire,
// 120 ambulance, 122 traffic accidents — plus 112 (GSM, Europe) and 911
// (North America).
func DefaultNumbers() []string { return []string{"110", "112", "119", "120", "122", "911"} }

// Check reports what is wrong with cfg.
func (cfg Config) Check() services.Problems {
	var ps services.Problems
	seen := map[string]bool{}
	for i, n := range cfg.Numbers {
		f := fmt.Sprintf("numbers[%d]", i)
		if ps.Number(f, n) && seen[n] {
			ps.Add(f, "%q listed twice", n)
		}
		seen[n] = true
	}
	return ps
}

// List is the emergency numbers.
type List struct{ numbers map[string]bool }

// New builds the list of cfg's numbers.
func New(cfg Config) *List {
	l := &List{numbers: make(map[string]bool, len(cfg.Numbers))}
	for _, n := range cfg.Numbers {
		l.numbers[n] = true
	}
	return l
}

// Is reports whether number is an emergency number.
func (l *List) Is(number string) bool { return l != nil && l.numbers[number] }
