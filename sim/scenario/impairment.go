package scenario

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Impairment degrades the network path of a population's phones (package
// sim/impair): both directions of their signalling socket, on any network.
// All phones of a population share one socket, so they share its fate and,
// with nat, one NAT binding. The random draws are seeded from the
// scenario's seed. The zero value (the field left out) impairs nothing.
type Impairment struct {
	// Loss is the percentage of datagrams dropped, each way.
	Loss Percent `yaml:"loss"`
	// Delay is added to every datagram, each way.
	Delay time.Duration `yaml:"delay"`
	// Jitter varies the delay uniformly by up to ±Jitter.
	Jitter time.Duration `yaml:"jitter"`
	// Duplicate is the percentage of datagrams delivered twice.
	Duplicate Percent `yaml:"duplicate"`
	// Reorder is the percentage of datagrams held back ReorderGap longer
	// than the others, so that later ones overtake them.
	Reorder Percent `yaml:"reorder"`
	// ReorderGap is how long a reordered datagram is held back (default
	// 20ms).
	ReorderGap time.Duration `yaml:"reorder_gap"`
	// NAT puts the population's socket behind a NAT.
	NAT ImpairmentNAT `yaml:"nat"`
}

// ImpairmentNAT is the NAT in front of a population's socket.
type ImpairmentNAT struct {
	// RebindAfter gives the socket a new external port this long after
	// its binding was made (at its next datagram); 0: never.
	RebindAfter time.Duration `yaml:"rebind_after"`
	// BindingTimeout drops the binding this long after the socket last
	// sent: what arrives later is lost, the next datagram sent gets a new
	// port; 0: never.
	BindingTimeout time.Duration `yaml:"binding_timeout"`
}

// IsZero reports whether i impairs nothing.
func (i Impairment) IsZero() bool {
	return i.Loss == 0 && i.Delay == 0 && i.Jitter == 0 && i.Duplicate == 0 && i.Reorder == 0 &&
		i.NAT.RebindAfter == 0 && i.NAT.BindingTimeout == 0
}

// Percent is a percentage, written 2, 2.5 or "2%".
type Percent float64

// UnmarshalYAML reads a number, with or without a trailing %.
func (p *Percent) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: a percentage is a number (2, 2.5 or \"2%%\")", n.Line)}}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(n.Value), "%")), 64)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: cannot read `%s` as a percentage", n.Line, n.Value)}}
	}
	*p = Percent(v)
	return nil
}

// validateImpairment checks population.impairment.
func (s *Scenario) validateImpairment(add func(field, format string, args ...any)) {
	im := s.Population.Impairment
	if im.IsZero() {
		return
	}
	const prefix = "population.impairment."
	for _, f := range []struct {
		name string
		v    Percent
	}{{"loss", im.Loss}, {"duplicate", im.Duplicate}, {"reorder", im.Reorder}} {
		if v := float64(f.v); math.IsNaN(v) || v < 0 || v > 100 {
			add(prefix+f.name, "must be a percentage 0..100, got %v", v)
		}
	}
	for _, f := range []struct {
		name string
		v    time.Duration
	}{{"delay", im.Delay}, {"jitter", im.Jitter}, {"reorder_gap", im.ReorderGap},
		{"nat.rebind_after", im.NAT.RebindAfter}, {"nat.binding_timeout", im.NAT.BindingTimeout}} {
		if f.v < 0 {
			add(prefix+f.name, "must not be negative, got %s", f.v)
		}
	}
	if s.Population.Transport != TransportUDP {
		add("population.impairment", "needs population.transport udp, got %q", s.Population.Transport)
	}
}
