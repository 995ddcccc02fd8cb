package rawudp

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

func listen(t *testing.T, network, address string) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket(network, address)
	if err != nil {
		t.Skipf("listen %s %s: %v", network, address, err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

func wrapped(t *testing.T, network, address string) *Conn {
	t.Helper()
	c, ok := Wrap(listen(t, network, address)).(*Conn)
	if !ok {
		t.Fatalf("Wrap of a %s socket on %s did not wrap it", network, address)
	}
	return c
}

// TestExchangesLikeTheNetPackage: datagrams go both ways between a raw
// socket and a plain one, with the source addresses the net package
// reports, over IPv4, IPv6 and a dual-stack socket (IPv4 peers appear as
// v4-mapped addresses, and writes to them go out), including an empty
// datagram and one of 60,000 bytes.
func TestExchangesLikeTheNetPackage(t *testing.T) {
	for _, tc := range []struct {
		name              string
		rawNet, rawAddr   string
		peerNet, peerAddr string
	}{
		{"IPv4", "udp4", "127.0.0.1:0", "udp4", "127.0.0.1:0"},
		{"IPv6", "udp6", "[::1]:0", "udp6", "[::1]:0"},
		{"dual stack, IPv4 peer", "udp", ":0", "udp4", "127.0.0.1:0"},
		{"dual stack, IPv6 peer", "udp", ":0", "udp6", "[::1]:0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := wrapped(t, tc.rawNet, tc.rawAddr)
			peer := listen(t, tc.peerNet, tc.peerAddr)
			deadline := time.Now().Add(5 * time.Second)
			_ = raw.SetDeadline(deadline)
			_ = peer.SetDeadline(deadline)
			rawPort := raw.LocalAddr().(*net.UDPAddr).Port
			to := &net.UDPAddr{IP: peer.LocalAddr().(*net.UDPAddr).IP, Port: rawPort}
			if to.IP.IsUnspecified() {
				to.IP = net.IPv4(127, 0, 0, 1)
			}
			for _, payload := range [][]byte{[]byte("INVITE sip:1001@pbx SIP/2.0\r\n\r\n"), {}, bytes.Repeat([]byte{'x'}, 60000)} {
				if _, err := peer.WriteTo(payload, to); err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, 65535)
				n, from, err := raw.ReadFrom(buf)
				if err != nil {
					t.Fatalf("raw ReadFrom: %v", err)
				}
				if !bytes.Equal(buf[:n], payload) {
					t.Fatalf("raw read %d bytes, want %d", n, len(payload))
				}
				fa := from.(*net.UDPAddr)
				pa := peer.LocalAddr().(*net.UDPAddr)
				if fa.Port != pa.Port || !fa.IP.Equal(pa.IP) {
					t.Fatalf("raw read from %v, the peer is %v", fa, pa)
				}
				// and back, to the address the read reported
				if n, err := raw.WriteTo(payload, from); err != nil || n != len(payload) {
					t.Fatalf("raw WriteTo %v: %d, %v", from, n, err)
				}
				n, back, err := peer.ReadFrom(buf)
				if err != nil {
					t.Fatalf("peer ReadFrom: %v", err)
				}
				if !bytes.Equal(buf[:n], payload) || back.(*net.UDPAddr).Port != rawPort {
					t.Fatalf("peer read %d bytes from %v, want %d from port %d", n, back, len(payload), rawPort)
				}
			}
		})
	}
}

// TestDeadlineAndClose: a read past its deadline fails as a timeout, and
// Close ends a blocked read with net.ErrClosed, as on a *net.UDPConn.
func TestDeadlineAndClose(t *testing.T) {
	raw := wrapped(t, "udp4", "127.0.0.1:0")
	_ = raw.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, _, err := raw.ReadFrom(make([]byte, 100))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past its deadline: %v, want a timeout", err)
	}
	_ = raw.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() {
		_, _, err := raw.ReadFrom(make([]byte, 100))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	_ = raw.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read ended by Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a blocked read")
	}
	if _, err := raw.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after Close: %v, want net.ErrClosed", err)
	}
}

// TestBadDestinations: what a raw socket cannot send to fails with an
// error, as on a *net.UDPConn, and sends nothing.
func TestBadDestinations(t *testing.T) {
	raw := wrapped(t, "udp4", "127.0.0.1:0")
	for _, tc := range []struct {
		name string
		addr net.Addr
		want error
	}{
		{"IPv6 on an IPv4 socket", &net.UDPAddr{IP: net.IPv6loopback, Port: 5060}, ErrFamily},
		{"not a UDP address", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5060}, nil},
		{"nil address", (*net.UDPAddr)(nil), nil},
		{"port out of range", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 70000}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := raw.WriteTo([]byte("x"), tc.addr)
			if err == nil {
				t.Fatal("write succeeded")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("write: %v, want %v", err, tc.want)
			}
		})
	}
}

// TestConcurrentWriters: writers on many goroutines and one reader lose
// no datagram on loopback (sipgo writes from every transaction).
func TestConcurrentWriters(t *testing.T) {
	raw := wrapped(t, "udp4", "127.0.0.1:0")
	sink := wrapped(t, "udp4", "127.0.0.1:0")
	// room for every datagram (~1 KB of buffer each) however slowly the
	// reader runs (-race)
	if err := sink.SetReadBuffer(2 << 20); err != nil {
		t.Fatal(err)
	}
	_ = sink.SetReadDeadline(time.Now().Add(10 * time.Second))
	const writers, each = 4, 50
	got := make(chan map[string]bool, 1)
	go func() {
		seen := map[string]bool{}
		buf := make([]byte, 100)
		for len(seen) < writers*each {
			n, _, err := sink.ReadFrom(buf)
			if err != nil {
				break
			}
			seen[string(buf[:n])] = true
		}
		got <- seen
	}()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if _, err := raw.WriteTo(fmt.Appendf(nil, "%d-%d", w, i), sink.LocalAddr()); err != nil {
					t.Error(err)
					return
				}
				if i%10 == 0 {
					time.Sleep(time.Millisecond) // stay within the socket buffers
				}
			}
		})
	}
	wg.Wait()
	if seen := <-got; len(seen) != writers*each {
		t.Fatalf("received %d distinct datagrams, want %d", len(seen), writers*each)
	}
}

// TestWrapLeavesOtherSocketsAlone: what is not a *net.UDPConn comes back
// as it is.
func TestWrapLeavesOtherSocketsAlone(t *testing.T) {
	pc := struct{ net.PacketConn }{listen(t, "udp4", "127.0.0.1:0")}
	if got := Wrap(pc); got != net.PacketConn(pc) {
		t.Fatalf("Wrap of a wrapped socket returned %T", got)
	}
	pc2, err := Listen("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc2.Close()
	if _, ok := pc2.(*Conn); !ok {
		t.Fatalf("Listen returned %T, want *Conn", pc2)
	}
}

// TestZones: an IPv6 scope maps to its interface's name and back (the
// loopback's index), and an unknown one to its number; the cache answers
// the second time the same.
func TestZones(t *testing.T) {
	c := wrapped(t, "udp4", "127.0.0.1:0")
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skipf("no lo: %v", err)
	}
	for range 2 {
		if got := c.zoneName(uint32(lo.Index)); got != "lo" {
			t.Fatalf("zoneName(%d) = %q, want lo", lo.Index, got)
		}
		if got := c.zoneIndex("lo"); got != uint32(lo.Index) {
			t.Fatalf("zoneIndex(lo) = %d, want %d", got, lo.Index)
		}
		if got := c.zoneName(999999); got != "999999" {
			t.Fatalf("zoneName(999999) = %q", got)
		}
		if got := c.zoneIndex("999999"); got != 999999 {
			t.Fatalf("zoneIndex(999999) = %d", got)
		}
	}
}
