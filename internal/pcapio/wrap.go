package pcapio

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
)

// WrapPacketConn returns pc with every datagram it reads (ReadFrom) or writes
// (WriteTo) recorded to w as UDP, using pc's local address and the datagram's
// remote address. A socket bound to the unspecified address (0.0.0.0 or ::)
// cannot tell which local address a datagram used, so it is recorded as
// 127.0.0.1 for an IPv4 peer and ::1 for an IPv6 peer. If w is nil, pc is
// returned unchanged.
//
// The wrapper satisfies net.PacketConn only; code that type-asserts
// *net.UDPConn sees a different type (sipgo v1.7.3's ServeUDP does not).
func WrapPacketConn(pc net.PacketConn, w *Writer) net.PacketConn {
	if w == nil || pc == nil {
		return pc
	}
	local, _ := addrPortOf(pc.LocalAddr())
	return &packetConn{PacketConn: pc, w: w, local: local}
}

type packetConn struct {
	net.PacketConn
	w     *Writer
	local netip.AddrPort // as bound; may be unspecified
}

// ReadFrom reads a datagram and records it.
func (c *packetConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, addr, err := c.PacketConn.ReadFrom(p)
	if n > 0 && addr != nil {
		if remote, ok := addrPortOf(addr); ok {
			c.w.UDP(remote, localFor(c.local, remote), p[:n])
		}
	}
	return n, addr, err
}

// WriteTo records a datagram and writes it. It is recorded before the
// socket call, not when it returns: a local peer can answer within the
// call, and a capture that held the answer before the datagram it answers
// would make the flow depend on scheduling (a CANCEL recorded before the
// 180 it reacts to, a PRACK before its 183). A datagram the socket then
// refuses stays in the capture; that write's error is the caller's.
func (c *packetConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if len(p) > 0 && addr != nil {
		if remote, ok := addrPortOf(addr); ok {
			c.w.UDP(localFor(c.local, remote), remote, p)
		}
	}
	return c.PacketConn.WriteTo(p, addr)
}

// WrapListener returns l with every accepted connection wrapped: the
// handshake is recorded at Accept with the peer as the client, then reads
// and writes as TCP segments and Close as a FIN exchange. If w is nil, l is
// returned unchanged.
func WrapListener(l net.Listener, w *Writer) net.Listener {
	if w == nil || l == nil {
		return l
	}
	return &listener{Listener: l, w: w}
}

type listener struct {
	net.Listener
	w *Writer
}

// Accept waits for a connection and returns it wrapped.
func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	return wrapConn(c, l.w, false), nil
}

// WrapConn returns c, a connection this side dialled, with its handshake
// recorded now (local address as the client), every Read and Write recorded
// as a TCP segment, a FIN from the peer recorded when Read returns io.EOF,
// and Close recorded as FINs from both sides. Use WrapListener for accepted
// connections. If w is nil, c is returned unchanged.
func WrapConn(c net.Conn, w *Writer) net.Conn {
	if w == nil || c == nil {
		return c
	}
	return wrapConn(c, w, true)
}

func wrapConn(c net.Conn, w *Writer, dialled bool) net.Conn {
	remote, _ := addrPortOf(c.RemoteAddr())
	local, _ := addrPortOf(c.LocalAddr())
	local = localFor(local, remote)
	if dialled {
		w.tcpOpen(local, remote)
	} else {
		w.tcpOpen(remote, local)
	}
	return &conn{Conn: c, w: w, local: local, remote: remote}
}

type conn struct {
	net.Conn
	w             *Writer
	local, remote netip.AddrPort
	closeOnce     sync.Once
}

// Read reads from the connection and records what arrived.
func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.w.TCP(c.remote, c.local, p[:n])
	}
	if errors.Is(err, io.EOF) {
		c.w.TCPClose(c.remote, c.local)
	}
	return n, err
}

// Write records the bytes and writes them, recorded before the socket call
// for the reason packetConn.WriteTo gives. Go's Write returns having written
// all of p unless the connection failed; what a failed write did not send
// stays in the capture.
func (c *conn) Write(p []byte) (int, error) {
	if len(p) > 0 {
		c.w.TCP(c.local, c.remote, p)
	}
	return c.Conn.Write(p)
}

// Close closes the connection and records the teardown once.
func (c *conn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() { c.w.tcpTeardown(c.local, c.remote) })
	return err
}

// addrPortOf converts a socket address to a netip.AddrPort.
func addrPortOf(a net.Addr) (netip.AddrPort, bool) {
	switch v := a.(type) {
	case nil:
		return netip.AddrPort{}, false
	case *net.UDPAddr:
		if v == nil {
			return netip.AddrPort{}, false
		}
		return v.AddrPort(), true
	case *net.TCPAddr:
		if v == nil {
			return netip.AddrPort{}, false
		}
		return v.AddrPort(), true
	}
	ap, err := netip.ParseAddrPort(a.String())
	return ap, err == nil
}

// localFor replaces an unspecified (or unknown) local address with the
// loopback address of the remote's family.
func localFor(local, remote netip.AddrPort) netip.AddrPort {
	a := local.Addr()
	if a.IsValid() && !a.Unmap().IsUnspecified() {
		return local
	}
	if remote.Addr().Unmap().Is4() {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), local.Port())
	}
	return netip.AddrPortFrom(netip.IPv6Loopback(), local.Port())
}
