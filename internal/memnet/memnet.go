// Package memnet is an in-memory datagram network: sockets (net.PacketConn)
// on any IPv4 or IPv6 address exchange packets through queues instead of the
// kernel. It exists so that the real PBX and the real simulated phones can
// run inside a testing/synctest bubble, where time is virtual and advances
// only when every goroutine of the bubble is durably blocked: a goroutine
// reading a kernel socket never is, a goroutine reading a memnet socket is
// (it waits on channels the socket created).
//
// Semantics follow UDP: a datagram to an address nobody listens on is
// dropped, each socket has a bounded receive queue (a datagram arriving at a
// full queue is dropped and counted, like a full kernel buffer), reads
// return whole datagrams (truncated to the reader's buffer), and writes
// never block. Deadlines use the time package's timers, so inside a bubble
// they are virtual too.
//
// A Network created inside a bubble must be used only there (its channels
// and timers belong to the bubble); one created outside works in ordinary
// real-time tests.
//
// Impairment hook: a Filter sees every packet and may drop, delay or
// duplicate it (see Verdict). No loss or jitter model is built in.
package memnet

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// MaxDatagram is the largest datagram a socket sends (the UDP maximum).
const MaxDatagram = 65535

// DefaultQueueLen is the receive queue of a socket, in datagrams.
const DefaultQueueLen = 4096

// Ephemeral ports handed out for port 0 (the IANA dynamic range).
const (
	firstEphemeral = 49152
	lastEphemeral  = 65535
)

// Packet is a datagram in flight, as a Filter sees it.
type Packet struct {
	From, To netip.AddrPort
	// Data is the datagram (the network's own copy). A Filter must not
	// modify or keep it.
	Data []byte
}

// Verdict is a Filter's decision about one packet.
type Verdict struct {
	// Drop discards the packet (counted in Stats.Filtered).
	Drop bool
	// Delay holds the packet back this long before delivering it (on the
	// time package's clock: virtual inside a synctest bubble). Packets with
	// different delays can overtake each other.
	Delay time.Duration
	// Duplicates delivers this many extra copies (each after Delay).
	Duplicates int
}

// Filter decides the fate of every packet sent on the Network, before it is
// routed. It runs on the sender's goroutine and must not block. Per-link
// behaviour is a matter of looking at Packet.From and Packet.To.
type Filter func(Packet) Verdict

// Option configures a Network.
type Option func(*Network)

// WithQueueLen sets each socket's receive queue, in datagrams (default
// DefaultQueueLen).
func WithQueueLen(n int) Option {
	return func(nw *Network) {
		if n > 0 {
			nw.queueLen = n
		}
	}
}

// WithFilter sets the impairment hook (default: deliver everything at once).
func WithFilter(f Filter) Option { return func(nw *Network) { nw.filter = f } }

// Stats counts what happened to the packets sent on a Network. Once no
// delayed packet is in flight, Sent = Delivered + NoListener + QueueFull +
// Filtered.
type Stats struct {
	Sent       uint64 // datagrams accepted by WriteTo, plus the Filter's duplicates
	Delivered  uint64 // datagrams queued at a receiving socket
	NoListener uint64 // dropped: nobody listens at the destination
	QueueFull  uint64 // dropped: the receiving socket's queue was full
	Filtered   uint64 // dropped by the Filter
}

// Network is one in-memory network. Its zero value is not usable: call New.
type Network struct {
	queueLen int

	mu       sync.RWMutex
	filter   Filter
	socks    map[netip.AddrPort]*Conn
	nextPort uint32 // next ephemeral port to try

	sent, delivered, noListener, queueFull, filtered atomic.Uint64
}

// New returns an empty Network.
func New(opts ...Option) *Network {
	nw := &Network{queueLen: DefaultQueueLen, socks: map[netip.AddrPort]*Conn{}, nextPort: firstEphemeral}
	for _, o := range opts {
		o(nw)
	}
	return nw
}

// SetFilter replaces the impairment hook (nil delivers everything); it
// applies to packets sent afterwards.
func (nw *Network) SetFilter(f Filter) {
	nw.mu.Lock()
	nw.filter = f
	nw.mu.Unlock()
}

// Stats returns the network's counters.
func (nw *Network) Stats() Stats {
	return Stats{
		Sent:       nw.sent.Load(),
		Delivered:  nw.delivered.Load(),
		NoListener: nw.noListener.Load(),
		QueueFull:  nw.queueFull.Load(),
		Filtered:   nw.filtered.Load(),
	}
}

// ListenPacket opens a socket on address ("ip:port", IPv6 in brackets;
// port 0 picks a free ephemeral port; an empty or unspecified IP binds the
// wildcard address of the family). network is "udp", "udp4" or "udp6". Its
// signature is net.ListenPacket's, so it can be handed to code that takes a
// listen function. The socket is a *Conn.
func (nw *Network) ListenPacket(network, address string) (net.PacketConn, error) {
	c, err := nw.listen(network, address)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Listen opens a socket on ap (port 0 picks a free one); see ListenPacket.
func (nw *Network) Listen(ap netip.AddrPort) (*Conn, error) {
	return nw.listen("udp", ap.String())
}

func (nw *Network) listen(network, address string) (*Conn, error) {
	ap, err := parseListen(network, address)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: fmt.Errorf("%w: %q: %w", ErrBadAddress, address, err)}
	}
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if ap.Port() == 0 {
		port, ok := nw.freePort(ap.Addr())
		if !ok {
			return nil, &net.OpError{Op: "listen", Net: network, Addr: udpAddr(ap), Err: ErrNoFreePort}
		}
		ap = netip.AddrPortFrom(ap.Addr(), port)
	} else if nw.socks[ap] != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Addr: udpAddr(ap), Err: ErrAddrInUse}
	}
	c := newConn(nw, ap)
	nw.socks[ap] = c
	return c, nil
}

// freePort returns an unused port on addr. nw.mu is held.
func (nw *Network) freePort(addr netip.Addr) (uint16, bool) {
	const span = lastEphemeral - firstEphemeral + 1
	for range span {
		p := uint16(nw.nextPort)
		nw.nextPort++
		if nw.nextPort > lastEphemeral {
			nw.nextPort = firstEphemeral
		}
		if nw.socks[netip.AddrPortFrom(addr, p)] == nil {
			return p, true
		}
	}
	return 0, false
}

// parseListen turns a listen address into an unmapped AddrPort of the
// network's family.
func parseListen(network, address string) (netip.AddrPort, error) {
	switch network {
	case "udp", "udp4", "udp6":
	default:
		return netip.AddrPort{}, fmt.Errorf("%w: %q", ErrNetwork, network)
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return netip.AddrPort{}, err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port %q", port)
	}
	var ip netip.Addr
	if host == "" {
		ip = netip.IPv4Unspecified()
		if network == "udp6" {
			ip = netip.IPv6Unspecified()
		}
	} else if ip, err = netip.ParseAddr(host); err != nil {
		return netip.AddrPort{}, fmt.Errorf("host %q is not an IP literal", host)
	}
	ip = ip.Unmap()
	if ip.Zone() != "" {
		return netip.AddrPort{}, fmt.Errorf("zoned address %q", host)
	}
	if (network == "udp4" && !ip.Is4()) || (network == "udp6" && !ip.Is6()) {
		return netip.AddrPort{}, fmt.Errorf("%s is not an %s address", ip, network)
	}
	return netip.AddrPortFrom(ip, uint16(p)), nil
}

// unbind forgets c's address.
func (nw *Network) unbind(c *Conn) {
	nw.mu.Lock()
	if nw.socks[c.local] == c {
		delete(nw.socks, c.local)
	}
	nw.mu.Unlock()
}

// route finds the socket for dst: the one bound to it, else one bound to
// the wildcard address of dst's family on that port.
func (nw *Network) route(dst netip.AddrPort) (*Conn, Filter) {
	nw.mu.RLock()
	defer nw.mu.RUnlock()
	if c := nw.socks[dst]; c != nil {
		return c, nw.filter
	}
	wild := netip.IPv4Unspecified()
	if dst.Addr().Is6() {
		wild = netip.IPv6Unspecified()
	}
	return nw.socks[netip.AddrPortFrom(wild, dst.Port())], nw.filter
}

// send routes one datagram from src; data is the network's own copy.
func (nw *Network) send(src, dst netip.AddrPort, data []byte) {
	_, filter := nw.route(dst)
	v := Verdict{}
	if filter != nil {
		v = filter(Packet{From: src, To: dst, Data: data})
	}
	nw.sent.Add(1)
	if v.Drop {
		nw.filtered.Add(1)
		return
	}
	copies := 1 + max(v.Duplicates, 0)
	nw.sent.Add(uint64(copies - 1))
	for range copies {
		if v.Delay > 0 {
			time.AfterFunc(v.Delay, func() { nw.deliver(src, dst, data) })
			continue
		}
		nw.deliver(src, dst, data)
	}
}

// deliver queues data at the socket listening on dst, if any. The
// destination is looked up at delivery time (a delayed packet finds the
// socket bound then).
func (nw *Network) deliver(src, dst netip.AddrPort, data []byte) {
	c, _ := nw.route(dst)
	if c == nil {
		nw.noListener.Add(1)
		return
	}
	switch c.enqueue(src, data) {
	case nil:
		nw.delivered.Add(1)
	case errQueueFull:
		nw.queueFull.Add(1)
	default: // closed meanwhile: as nobody listening
		nw.noListener.Add(1)
	}
}

// udpAddr is the net.Addr form of ap that sipgo and pcapio expect.
func udpAddr(ap netip.AddrPort) *net.UDPAddr {
	return &net.UDPAddr{IP: net.IP(ap.Addr().AsSlice()), Port: int(ap.Port())}
}
