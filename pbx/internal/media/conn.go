package media

import (
	"net"
	"net/netip"
)

// conn is an endpoint's socket: a *net.UDPConn uses the allocation-free
// AddrPort calls; any other net.PacketConn (internal/memnet in
// virtual-time tests) the generic ones.
type conn struct {
	pc  net.PacketConn
	udp *net.UDPConn
}

func newConn(pc net.PacketConn) conn {
	c := conn{pc: pc}
	if u, ok := pc.(*net.UDPConn); ok {
		c.udp = u
		// a busy PBX takes bursts on thousands of sockets; the default
		// buffers are small (the kernel caps at rmem_max / wmem_max)
		_ = u.SetReadBuffer(256 << 10)
		_ = u.SetWriteBuffer(256 << 10)
	}
	return c
}

func (c conn) read(b []byte) (int, netip.AddrPort, error) {
	if c.udp != nil {
		n, ap, err := c.udp.ReadFromUDPAddrPort(b)
		return n, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), err
	}
	n, a, err := c.pc.ReadFrom(b)
	var ap netip.AddrPort
	if ua, ok := a.(*net.UDPAddr); ok {
		ap = ua.AddrPort()
	} else if a != nil {
		ap, _ = netip.ParseAddrPort(a.String())
	}
	return n, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), err
}

func (c conn) write(b []byte, d *dest) error {
	var err error
	if c.udp != nil {
		_, err = c.udp.WriteToUDPAddrPort(b, d.ap)
	} else {
		_, err = c.pc.WriteTo(b, d.ua)
	}
	return err
}
