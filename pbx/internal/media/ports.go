package media

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"pbxlab/internal/clock"
)

// ListenFunc opens a UDP socket (net.ListenPacket's signature): the real
// network in production, internal/memnet in virtual-time tests.
type ListenFunc func(network, address string) (net.PacketConn, error)

// Ports hands out RTP/RTCP socket pairs from a port range: an even RTP port
// P and its RTCP port P+1 (RFC 3550 §11), both bound before the pair is
// returned. A released pair drains: no call gets it again until the drain
// time has passed, so a stray packet of a finished call (a phone that
// keeps sending for a moment after BYE, a retransmission in flight) never
// reaches the next call on that port. Pairs are handed out round-robin,
// which spreads reuse even without draining. Safe for concurrent use.
type Ports struct {
	lo, hi int // first and last RTP port (even)
	drain  time.Duration
	clock  clock.Clock
	listen ListenFunc

	mu       sync.Mutex
	next     int               // next RTP port to try
	used     map[int]bool      // RTP ports of pairs in use
	draining map[int]time.Time // RTP port → when it may be reused
	closed   bool
}

// PortsOption configures Ports.
type PortsOption func(*Ports)

// WithPortsClock sets the clock the drain time is measured on.
func WithPortsClock(c clock.Clock) PortsOption { return func(p *Ports) { p.clock = c } }

// WithPortsListen sets how sockets are opened (default net.ListenPacket).
func WithPortsListen(f ListenFunc) PortsOption {
	return func(p *Ports) {
		if f != nil {
			p.listen = f
		}
	}
}

// NewPorts returns an allocator for the even RTP ports P with min <= P and
// P+1 <= max.
func NewPorts(minPort, maxPort int, drain time.Duration, opts ...PortsOption) (*Ports, error) {
	lo := minPort + minPort%2
	if minPort < 1 || maxPort > 65535 || maxPort < lo+1 || drain < 0 {
		return nil, fmt.Errorf("new ports %d-%d drain %s: %w", minPort, maxPort, drain, ErrBadConfig)
	}
	hi := maxPort - 1
	hi -= hi % 2
	p := &Ports{lo: lo, hi: hi, drain: drain, clock: clock.New(), listen: net.ListenPacket,
		next: lo, used: map[int]bool{}, draining: map[int]time.Time{}}
	for _, o := range opts {
		o(p)
	}
	return p, nil
}

// Pairs is how many pairs the range holds.
func (p *Ports) Pairs() int { return (p.hi-p.lo)/2 + 1 }

// PortStats is a snapshot of the allocator.
type PortStats struct {
	InUse, Draining, Free int
}

// Stats counts the pairs in use, draining and free.
func (p *Ports) Stats() PortStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	st := PortStats{InUse: len(p.used)}
	for _, until := range p.draining {
		if now.Before(until) {
			st.Draining++
		}
	}
	st.Free = p.Pairs() - st.InUse - st.Draining
	return st
}

// Pair is one allocated RTP/RTCP socket pair.
type Pair struct {
	// RTP is bound to Port, RTCP to Port+1, both on the same address.
	RTP, RTCP net.PacketConn
	// Addr is the RTP socket's local address (bind address and Port).
	Addr  netip.AddrPort
	ports *Ports
	once  sync.Once
}

// Port is the RTP port (even); RTCP is Port()+1.
func (pr *Pair) Port() uint16 { return pr.Addr.Port() }

// Allocate binds the next free pair on bind (an IP of the PBX, or the
// unspecified address of a family). Pairs whose ports another program
// holds are skipped. It fails with ErrNoPorts when every pair is in use,
// draining or unbindable.
func (p *Ports) Allocate(bind netip.Addr) (*Pair, error) {
	bind = bind.Unmap()
	network := "udp4"
	if bind.Is6() {
		network = "udp6"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, fmt.Errorf("allocate rtp ports: %w", ErrClosed)
	}
	now := p.clock.Now()
	n := p.Pairs()
	skipped := 0
	for range n {
		port := p.next
		p.next += 2
		if p.next > p.hi {
			p.next = p.lo
		}
		if p.used[port] {
			continue
		}
		if until, ok := p.draining[port]; ok {
			if now.Before(until) {
				continue
			}
			delete(p.draining, port)
		}
		rtp, err := p.listen(network, netip.AddrPortFrom(bind, uint16(port)).String())
		if err != nil {
			skipped++
			continue
		}
		rtcp, err := p.listen(network, netip.AddrPortFrom(bind, uint16(port+1)).String())
		if err != nil {
			_ = rtp.Close()
			skipped++
			continue
		}
		p.used[port] = true
		return &Pair{RTP: rtp, RTCP: rtcp, Addr: netip.AddrPortFrom(bind, uint16(port)), ports: p}, nil
	}
	return nil, fmt.Errorf("allocate rtp ports %d-%d on %s: %w (%d in use, %d draining, %d not bindable)",
		p.lo, p.hi+1, bind, ErrNoPorts, len(p.used), len(p.draining), skipped)
}

// Release closes both sockets and puts the pair to drain. It is idempotent.
func (pr *Pair) Release() error {
	var err error
	pr.once.Do(func() {
		err = closeBoth(pr.RTP, pr.RTCP)
		pr.ports.release(int(pr.Addr.Port()))
	})
	if err != nil {
		return fmt.Errorf("release rtp ports %d: %w", pr.Addr.Port(), err)
	}
	return nil
}

func closeBoth(a, b net.PacketConn) error {
	errA, errB := a.Close(), b.Close()
	if errA != nil {
		return errA
	}
	return errB
}

func (p *Ports) release(port int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.used, port)
	if p.drain > 0 {
		p.draining[port] = p.clock.Now().Add(p.drain)
	}
}

// Close refuses further allocations; pairs already out stay valid until
// released.
func (p *Ports) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
}
