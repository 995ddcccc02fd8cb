package sipx

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"pbxlab/pbx/internal/sourcelimit"
)

// crlfPing is an RFC 5626 §4.4.1 keepalive ping on a stream: a double
// CRLF. The answer (the pong) is one CRLF.
var crlfPing = []byte("\r\n\r\n")

// flows is the PBX's TCP listener as sipgo accepts from it. It keeps the
// set of open inbound connections by the remote address ("flows", RFC 5626
// §3.1): a phone registered over TCP is reached over the connection its
// REGISTER came on, and the PBX must know when that connection is gone.
//
// sipgo itself answers a ping that arrives alone in a read, at a message
// boundary, with a pong (transport_tcp.go, RFC 5626 §3.5.1). A ping that
// TCP delivers in one read with the request after it would only be skipped
// as leading CRLF (RFC 3261 §7.5), unanswered: flowConn hands a read that
// starts with a ping to sipgo as two reads, the ping alone first.
//
// A connection from a source its limiter refuses (sip.source_limits) is
// closed as soon as it is accepted, and a read from a source that became
// blocked ends its connection.
//
// Once silent is set (Stack.Quiesce) a connection keeps reading but drops
// what it reads, as the UDP sockets do (tolerantConn): nothing read as the
// PBX shuts down reaches sipgo, whose answer could otherwise open a
// connection of its own to the request's Via.
type flows struct {
	net.Listener
	onClose func(netip.AddrPort) // may be nil
	limit   *sourcelimit.Limiter // nil: no limit
	silent  *atomic.Bool         // may be nil

	mu   sync.Mutex
	open map[netip.AddrPort]int // open connections by remote address
}

func newFlows(ln net.Listener, onClose func(netip.AddrPort), limit *sourcelimit.Limiter, silent *atomic.Bool) *flows {
	return &flows{Listener: ln, onClose: onClose, limit: limit, silent: silent, open: map[netip.AddrPort]int{}}
}

// errSourceBlocked ends the connection of a source that became blocked.
var errSourceBlocked = errors.New("source blocked (sip.source_limits)")

// Accept accepts a connection and tracks it until it is closed.
func (f *flows) Accept() (net.Conn, error) {
	var c net.Conn
	var remote netip.AddrPort
	for {
		var err error
		if c, err = f.Listener.Accept(); err != nil {
			return nil, err
		}
		remote = addrPortOf(c.RemoteAddr())
		if f.limit.Open(remote.Addr()) {
			break
		}
		_ = c.Close() // refused: sipgo never sees it
	}
	f.mu.Lock()
	f.open[remote]++
	f.mu.Unlock()
	return &flowConn{Conn: c, remote: remote, flows: f}, nil
}

// Open reports whether an accepted connection from remote is open.
func (f *flows) Open(remote netip.AddrPort) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.open[remote] > 0
}

func (f *flows) closed(remote netip.AddrPort) {
	f.mu.Lock()
	f.open[remote]--
	if f.open[remote] <= 0 {
		delete(f.open, remote)
	}
	f.mu.Unlock()
	if f.onClose != nil {
		f.onClose(remote)
	}
}

func addrPortOf(a net.Addr) netip.AddrPort {
	var ap netip.AddrPort
	switch a := a.(type) {
	case *net.TCPAddr:
		ap = a.AddrPort()
	case *net.UDPAddr:
		ap = a.AddrPort()
	default:
		ap, _ = netip.ParseAddrPort(a.String())
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// flowConn is one accepted connection. sipgo's reader is its only reader.
type flowConn struct {
	net.Conn
	remote netip.AddrPort
	flows  *flows

	rest    []byte // what followed a ping in the last read
	restErr error  // the error that came with it
	once    sync.Once
}

// Read reads from the connection; a read that starts with a ping and goes
// on is returned in two parts, the ping first.
func (c *flowConn) Read(p []byte) (int, error) {
	if len(c.rest) > 0 {
		n := copy(p, c.rest)
		c.rest = c.rest[n:]
		if len(c.rest) == 0 {
			err := c.restErr
			c.restErr = nil
			return n, err
		}
		return n, nil
	}
	n, err := c.Conn.Read(p)
	for n > 0 && c.flows.silent != nil && c.flows.silent.Load() { // Quiesce: drop it
		if err != nil {
			return 0, err
		}
		n, err = c.Conn.Read(p)
	}
	if n > 0 && !c.flows.limit.Allow(c.remote.Addr()) {
		return 0, errSourceBlocked
	}
	if n > len(crlfPing) && bytes.HasPrefix(p[:n], crlfPing) {
		c.rest = append(c.rest[:0], p[len(crlfPing):n]...)
		c.restErr = err
		return len(crlfPing), nil
	}
	return n, err
}

// Close closes the connection, once, and reports it to the listener.
func (c *flowConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.flows.limit.Closed(c.remote.Addr())
		c.flows.closed(c.remote)
	})
	return err
}
