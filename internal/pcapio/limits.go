package pcapio

import "time"

// Limits bound the memory a Reader holds, whatever the capture's size or
// content. Every count is capture state, not output: a Reader emits each
// Packet as soon as it is complete and keeps nothing of what it emitted.
// The defaults (DefaultLimits) hold at most MaxBufferedBytes of out-of-order
// TCP payload plus MaxFragDatagrams datagrams of IP fragments (64 KiB each
// at most), about 128 MiB in the worst case and next to nothing for an
// ordinary capture.
type Limits struct {
	// MaxFlows is how many TCP directions are tracked at once; opening one
	// more drops the one idle longest (Stats.FlowsEvicted).
	MaxFlows int
	// FlowIdle drops a TCP direction that carried nothing for this long in
	// capture time (Stats.FlowsEvicted). Data after that starts the
	// direction afresh, as a direction seen without its SYN does.
	FlowIdle time.Duration
	// MaxHeldSegments and MaxHeldBytes cap the segments one direction holds
	// back after a gap (bytes missing from the capture); past either, the
	// missing bytes are given up on (Stats.TCPGaps) and the held segments
	// are emitted in sequence order, the first marked Packet.Gap.
	MaxHeldSegments int
	MaxHeldBytes    int
	// MaxBufferedBytes caps the held bytes of all directions together; past
	// it, the direction being added to gives up its gap.
	MaxBufferedBytes int
	// MaxFragDatagrams caps the IPv4 and IPv6 datagrams being reassembled
	// from fragments at once; one more drops the oldest. FragTimeout drops a
	// datagram whose fragments stop coming for this long in capture time.
	// Dropped fragments count in Stats.FragmentsDropped.
	MaxFragDatagrams int
	FragTimeout      time.Duration
}

// DefaultLimits are the limits NewReader uses unless WithLimits says
// otherwise.
func DefaultLimits() Limits {
	return Limits{
		MaxFlows:         4096,
		FlowIdle:         2 * time.Minute,
		MaxHeldSegments:  64,
		MaxHeldBytes:     1 << 20,
		MaxBufferedBytes: 64 << 20,
		MaxFragDatagrams: 1024,
		FragTimeout:      30 * time.Second,
	}
}

// withDefaults replaces zero or negative fields with the default.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	fill := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	fillDur := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	fill(&l.MaxFlows, d.MaxFlows)
	fill(&l.MaxHeldSegments, d.MaxHeldSegments)
	fill(&l.MaxHeldBytes, d.MaxHeldBytes)
	fill(&l.MaxBufferedBytes, d.MaxBufferedBytes)
	fill(&l.MaxFragDatagrams, d.MaxFragDatagrams)
	fillDur(&l.FlowIdle, d.FlowIdle)
	fillDur(&l.FragTimeout, d.FragTimeout)
	return l
}

// ReaderOption configures a Reader.
type ReaderOption func(*readerConfig)

type readerConfig struct {
	limits Limits
	ends   bool
	name   string
}

// WithLimits sets the Reader's limits; zero fields keep their default.
func WithLimits(l Limits) ReaderOption {
	return func(c *readerConfig) { c.limits = l.withDefaults() }
}

// WithStreamEnds makes Next also return a marker Packet (Proto ProtoTCP,
// End set, no payload) when a TCP direction ends: FIN, RST, the flow cap or
// the idle timeout. It comes after the direction's last payload, so a
// consumer that keeps state per direction (a SIP stream parser) can drop it
// in order.
func WithStreamEnds() ReaderOption {
	return func(c *readerConfig) { c.ends = true }
}

// WithName names the capture (its path) in the Reader's errors.
func WithName(name string) ReaderOption {
	return func(c *readerConfig) { c.name = name }
}
