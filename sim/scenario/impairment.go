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
// sim/impair): both directions of their signalling socket, on any network,
// and of their RTP sockets (AppliesTo). Over tcp the signalling sees it as
// TCP shows it (impair.Stream): loss as retransmission delay, no
// duplication, reordering or rebinding, and the binding timeout as an
// idle connection reset. All phones of a population share
// one signalling socket, so they share its fate and, with nat, one NAT
// binding; each RTP stream draws its fate apart. The random draws are
// seeded from the scenario's seed. The zero value (the field left out)
// impairs nothing.
type Impairment struct {
	// AppliesTo says which traffic is impaired; left out: both.
	AppliesTo Paths `yaml:"applies_to"`
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

// Signalling reports whether i impairs the phones' SIP socket.
func (i Impairment) Signalling() bool { return !i.IsZero() && i.AppliesTo.Has(PathSignalling) }

// Media reports whether i impairs the phones' RTP streams: loss, delay,
// jitter, duplication or reordering (the NAT is the signalling socket's).
func (i Impairment) Media() bool {
	return i.AppliesTo.Has(PathMedia) &&
		(i.Loss != 0 || i.Delay != 0 || i.Jitter != 0 || i.Duplicate != 0 || i.Reorder != 0)
}

// Paths is a set of traffic kinds (impairment applies_to), written as a
// list: [signalling, media]. The zero value is every kind.
type Paths uint8

// The kinds of traffic an impairment applies to.
const (
	PathSignalling Paths = 1 << iota // the SIP socket
	PathMedia                        // the RTP streams
)

// pathsNone is an empty applies_to list, which validation rejects.
const pathsNone Paths = 1 << 7

// Has reports whether p includes k (the zero set includes everything).
func (p Paths) Has(k Paths) bool { return p == 0 || p&k != 0 }

// UnmarshalYAML reads a list of "signalling" and "media".
func (p *Paths) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: `%s`: applies_to is a list: [signalling, media]", n.Line, n.Value)}}
	}
	if len(n.Content) == 0 {
		*p = pathsNone // validateImpairment says so, with the field's line
		return nil
	}
	var out Paths
	for _, c := range n.Content {
		switch c.Value {
		case "signalling", "signaling":
			out |= PathSignalling
		case "media":
			out |= PathMedia
		default:
			return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: applies_to: `%s` is not signalling or media", c.Line, c.Value)}}
		}
	}
	*p = out
	return nil
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
	const prefix = "population.impairment."
	if im.AppliesTo == pathsNone {
		add(prefix+"applies_to", "must list signalling, media or both")
	}
	if im.IsZero() {
		return
	}
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
	if s.Population.Transport == TransportTCP && im.AppliesTo.Has(PathSignalling) {
		// a stream delivers every byte once and in order: TCP's own
		// retransmissions turn loss into delay (sim/impair.Stream)
		if im.Duplicate != 0 {
			add(prefix+"duplicate", "does not apply to population.transport tcp (a stream delivers bytes once); use applies_to: [media]")
		}
		if im.Reorder != 0 {
			add(prefix+"reorder", "does not apply to population.transport tcp (a stream delivers bytes in order); use applies_to: [media]")
		}
		if im.NAT.RebindAfter != 0 {
			add(prefix+"nat.rebind_after", "does not apply to population.transport tcp (a connection keeps its mapping while it lives; binding_timeout drops an idle one)")
		}
	}
}
