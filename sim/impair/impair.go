// Package impair degrades a simulated phone's network path: it wraps the
// phone's UDP socket (any net.PacketConn: the kernel's or an in-memory
// one) in a Conn that loses, delays, jitters, duplicates and reorders
// datagrams in both directions, and can put the socket behind a NAT whose
// external port changes (rebinding) or whose binding expires when the phone
// stays silent. Every random decision comes from a generator seeded by the
// caller, one per direction, so the nth datagram sent (or received) meets
// the same fate in every run with the same seed.
//
// The NAT is modelled at the socket: the wrapped socket keeps its own
// (internal) address, which is what the phone advertises; datagrams leave
// from an external socket opened with the listen function on the same IP
// and a new port at every (re)binding, as a NAT maps a private address to
// a public port. Filtering is endpoint-independent: while a binding lives,
// anyone may send to it.
//
// A Stream (WrapStream) is the same path under a TCP connection: loss
// becomes retransmission delay and head-of-line blocking, delay and jitter
// never reorder bytes, and the NAT's binding timeout resets an idle
// connection.
package impair

import (
	"fmt"
	"time"
)

// Config is one path's impairment. The zero value impairs nothing.
type Config struct {
	// Loss is the percentage of datagrams dropped (0-100).
	Loss float64
	// Delay is added to every datagram.
	Delay time.Duration
	// Jitter varies Delay uniformly by up to ±Jitter (never below zero):
	// datagrams may overtake each other.
	Jitter time.Duration
	// Duplicate is the percentage of datagrams delivered twice.
	Duplicate float64
	// Reorder is the percentage of datagrams held back ReorderGap longer
	// than the rest, so that those sent just after them overtake them.
	Reorder float64
	// ReorderGap is how long a reordered datagram is held back; default
	// DefaultReorderGap.
	ReorderGap time.Duration
	// NAT puts the socket behind a NAT; zero: none.
	NAT NAT
	// RTO is a Stream's first retransmission timeout: a lost segment
	// arrives this much later (doubled at each further loss); default
	// DefaultRTO. A Conn ignores it.
	RTO time.Duration
}

// NAT is the behaviour of the NAT in front of the socket.
type NAT struct {
	// RebindAfter gives the socket a new external port this long after its
	// binding was made (at the next datagram it sends); 0: never.
	RebindAfter time.Duration
	// BindingTimeout ends a binding this long after the socket last sent:
	// datagrams arriving later are dropped, and the next one sent makes a
	// new binding (a new external port); 0: never.
	BindingTimeout time.Duration
}

// DefaultReorderGap is ReorderGap's default.
const DefaultReorderGap = 20 * time.Millisecond

// Enabled reports whether the NAT does anything.
func (n NAT) Enabled() bool { return n.RebindAfter > 0 || n.BindingTimeout > 0 }

// IsZero reports whether c impairs nothing.
func (c Config) IsZero() bool {
	return c.Loss == 0 && c.Delay == 0 && c.Jitter == 0 && c.Duplicate == 0 && c.Reorder == 0 && !c.NAT.Enabled()
}

// Validate checks the ranges: percentages within 0-100, durations not
// negative.
func (c Config) Validate() error {
	for _, p := range []struct {
		name string
		v    float64
	}{{"loss", c.Loss}, {"duplicate", c.Duplicate}, {"reorder", c.Reorder}} {
		if p.v < 0 || p.v > 100 || p.v != p.v {
			return fmt.Errorf("impairment %s %v: %w: a percentage is 0 to 100", p.name, p.v, ErrInvalid)
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"delay", c.Delay}, {"jitter", c.Jitter}, {"reorder gap", c.ReorderGap},
		{"nat rebind_after", c.NAT.RebindAfter}, {"nat binding_timeout", c.NAT.BindingTimeout}} {
		if d.v < 0 {
			return fmt.Errorf("impairment %s %v: %w: negative", d.name, d.v, ErrInvalid)
		}
	}
	return nil
}

// fate is what happens to one datagram.
type fate struct {
	drop   bool
	copies int           // 1, or 2 when duplicated
	delay  time.Duration // before delivery (or sending)
}

// decide draws one datagram's fate. It always draws four numbers, whatever
// the configuration, so a datagram's fate depends only on its position.
func (c Config) decide(u func() float64) fate {
	loss, dup, reorder, jitter := u(), u(), u(), u()
	if loss*100 < c.Loss {
		return fate{drop: true}
	}
	f := fate{copies: 1, delay: c.Delay}
	if dup*100 < c.Duplicate {
		f.copies = 2
	}
	if c.Jitter > 0 {
		f.delay += time.Duration((jitter*2 - 1) * float64(c.Jitter))
		f.delay = max(f.delay, 0)
	}
	if reorder*100 < c.Reorder {
		gap := c.ReorderGap
		if gap == 0 {
			gap = DefaultReorderGap
		}
		f.delay += gap
	}
	return f
}
