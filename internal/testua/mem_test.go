package testua

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"pbxlab/internal/leakcheck"
)

// memConn is an in-memory net.PacketConn: datagrams go over channels, so
// inside a testing/synctest bubble a reader is durably blocked and time is
// virtual.
type memConn struct {
	local  netip.AddrPort
	net    *memNet
	in     chan memDatagram
	closed chan struct{}
	once   sync.Once
}

type memDatagram struct {
	b    []byte
	from netip.AddrPort
}

// memNet delivers datagrams between memConns by address.
type memNet struct {
	mu    sync.Mutex
	conns map[netip.AddrPort]*memConn
}

func newMemNet() *memNet { return &memNet{conns: map[netip.AddrPort]*memConn{}} }

func (n *memNet) listen(addr string) *memConn {
	c := &memConn{local: netip.MustParseAddrPort(addr), net: n, in: make(chan memDatagram, 256), closed: make(chan struct{})}
	n.mu.Lock()
	n.conns[c.local] = c
	n.mu.Unlock()
	return c
}

func (c *memConn) ReadFrom(p []byte) (int, net.Addr, error) {
	select {
	case d := <-c.in:
		return copy(p, d.b), net.UDPAddrFromAddrPort(d.from), nil
	case <-c.closed:
		return 0, nil, net.ErrClosed
	}
}

func (c *memConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	to := addrPort(addr)
	c.net.mu.Lock()
	peer := c.net.conns[to]
	c.net.mu.Unlock()
	if peer != nil {
		select {
		case peer.in <- memDatagram{b: append([]byte(nil), p...), from: c.local}:
		case <-peer.closed:
		default: // queue full: lost, as UDP would
		}
	}
	return len(p), nil
}

func (c *memConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

func (c *memConn) LocalAddr() net.Addr              { return net.UDPAddrFromAddrPort(c.local) }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

// memPair returns two UAs on an in-memory network, each the other's PBX.
func memPair(t *testing.T, optsA, optsB []Option) (a, b *UA) {
	t.Helper()
	n := newMemNet()
	ca, cb := n.listen("10.0.0.1:5060"), n.listen("10.0.0.2:5060")
	return pairOn(t, ca, cb, optsA, optsB)
}

// udpPair returns two UAs on loopback UDP sockets, each the other's PBX.
func udpPair(t *testing.T, optsA, optsB []Option) (a, b *UA) {
	t.Helper()
	ca, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cb, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		_ = ca.Close()
		t.Fatal(err)
	}
	return pairOn(t, ca, cb, optsA, optsB)
}

func pairOn(t *testing.T, ca, cb net.PacketConn, optsA, optsB []Option) (a, b *UA) {
	t.Helper()
	var err error
	a, err = New(Config{PBX: addrPort(cb.LocalAddr()), User: "alice"}, append([]Option{WithPacketConn(ca)}, optsA...)...)
	if err != nil {
		t.Fatal(err)
	}
	b, err = New(Config{PBX: addrPort(ca.LocalAddr()), User: "bob"}, append([]Option{WithPacketConn(cb)}, optsB...)...)
	if err != nil {
		_ = a.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Error(err)
		}
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return a, b
}

// testCtx is a context for one test with a generous deadline, and the
// goroutine-leak check.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var loopback5060 = netip.MustParseAddrPort("127.0.0.1:5060")
