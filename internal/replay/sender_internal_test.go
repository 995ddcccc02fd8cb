package replay

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

type addrConn struct {
	net.Conn
	remote net.Addr
	wrote  int
}

func (c *addrConn) RemoteAddr() net.Addr        { return c.remote }
func (c *addrConn) Write(b []byte) (int, error) { c.wrote++; return len(b), nil }
func (c *addrConn) SetDeadline(time.Time) error { return nil }

// TestSenderRefusesOtherDestinations: the one sender writes on a
// connection to the target and refuses any other, even on the same host.
func TestSenderRefusesOtherDestinations(t *testing.T) {
	s := sender{target: netip.MustParseAddrPort("127.0.0.1:5060")}
	for _, tc := range []struct {
		remote string
		ok     bool
	}{
		{"127.0.0.1:5060", true},
		{"[::ffff:127.0.0.1]:5060", true},
		{"127.0.0.1:5061", false},
		{"10.0.0.1:5060", false},
		{"8.8.8.8:5060", false},
		{"[2001:db8::1]:5060", false},
	} {
		ap := netip.MustParseAddrPort(tc.remote)
		c := &addrConn{remote: net.UDPAddrFromAddrPort(ap)}
		err := s.send(c, []byte("x"))
		if tc.ok != (err == nil) || (!tc.ok && (!errors.Is(err, ErrForbiddenDestination) || c.wrote != 0)) {
			t.Errorf("send on a connection to %s: %v (%d writes)", tc.remote, err, c.wrote)
		}
	}
}

type packetConn struct {
	net.PacketConn
	wrote int
}

func (c *packetConn) WriteTo(b []byte, _ net.Addr) (int, error) { c.wrote++; return len(b), nil }

// TestSenderMediaOnlyToTheTargetHost: RTP goes to the target's host (any
// port: the media address its SDP names), nowhere else.
func TestSenderMediaOnlyToTheTargetHost(t *testing.T) {
	s := sender{target: netip.MustParseAddrPort("127.0.0.1:5060")}
	for _, tc := range []struct {
		to string
		ok bool
	}{{"127.0.0.1:30000", true}, {"10.0.0.1:30000", false}, {"[2001:db8::1]:30000", false}} {
		c := &packetConn{}
		err := s.sendMedia(c, netip.MustParseAddrPort(tc.to), []byte{0x80})
		if tc.ok != (err == nil) || (!tc.ok && (!errors.Is(err, ErrForbiddenDestination) || c.wrote != 0)) {
			t.Errorf("RTP to %s: %v (%d writes)", tc.to, err, c.wrote)
		}
	}
}
