package pbx

import (
	"net/netip"
	"testing"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/pbx/config"
)

// TestLocalAdvertisedAddress checks what local() gives the call manager for
// each kind of listener and peer: the advertised address (Via, Contact) and
// the listening socket requests leave from.
func TestLocalAdvertisedAddress(t *testing.T) {
	listen := func(s string) *listener {
		la, err := config.ParseListenAddr(s)
		if err != nil {
			t.Fatal(err)
		}
		return &listener{addr: la}
	}
	ap := netip.MustParseAddrPort
	for _, tc := range []struct {
		name      string
		listen    string
		transport string
		peer      netip.AddrPort
		addr      string // advertised; "" = no listener
		bind      string
	}{
		{"specific address advertises itself", "udp:127.0.0.1:5060", "udp", ap("127.0.0.1:5070"), "127.0.0.1:5060", "127.0.0.1:5060"},
		{"0.0.0.0 advertises the route to a loopback peer", "udp:0.0.0.0:5062", "udp", ap("127.0.0.1:5070"), "127.0.0.1:5062", "0.0.0.0:5062"},
		{"0.0.0.0 with an IPv4-mapped peer", "udp:0.0.0.0:5062", "udp", ap("[::ffff:127.0.0.1]:5070"), "127.0.0.1:5062", "0.0.0.0:5062"},
		{"0.0.0.0 and no peer address falls back to loopback", "udp:0.0.0.0:5062", "udp", netip.AddrPort{}, "127.0.0.1:5062", "0.0.0.0:5062"},
		{"configured advertise with port", "udp:0.0.0.0:5062 advertise 203.0.113.5:5070", "udp", ap("127.0.0.1:5070"), "203.0.113.5:5070", "0.0.0.0:5062"},
		{"configured advertise takes the listening port", "tcp:0.0.0.0:5063 advertise 203.0.113.5", "tcp", ap("127.0.0.1:5070"), "203.0.113.5:5063", "0.0.0.0:5063"},
		{"configured advertise on a specific address", "udp:127.0.0.1:5064 advertise 198.51.100.7:5080", "udp", ap("127.0.0.1:5070"), "198.51.100.7:5080", "127.0.0.1:5064"},
		{":: advertises ::1 to a loopback peer", "udp:[::]:5065", "udp", ap("[::1]:5070"), "[::1]:5065", "[::]:5065"},
		{":: with a configured advertise", "udp:[::]:5065 advertise 2001:db8::5", "udp", ap("[::1]:5070"), "[2001:db8::5]:5065", "[::]:5065"},
		{"no listener of the peer's family", "udp:0.0.0.0:5062", "udp", ap("[::1]:5070"), "", ""},
		{"no listener of the transport", "udp:0.0.0.0:5062", "tcp", ap("127.0.0.1:5070"), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{listeners: []*listener{listen(tc.listen)}, routes: newRouteCache(clock.New())}
			got, ok := s.local(tc.transport, tc.peer)
			if tc.addr == "" {
				if ok {
					t.Fatalf("local = %+v, want none", got)
				}
				return
			}
			if !ok || got.Transport != tc.transport || got.Addr != ap(tc.addr) || got.Bind != ap(tc.bind) {
				t.Fatalf("local = %+v %t, want advertised %s from %s", got, ok, tc.addr, tc.bind)
			}
		})
	}
}

// TestRouteCache: the kernel is asked once per peer address and again
// after the TTL.
func TestRouteCache(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	rc := newRouteCache(clk)
	asked := map[netip.Addr]int{}
	rc.lookup = func(peer netip.Addr) (netip.Addr, bool) {
		asked[peer]++
		return netip.MustParseAddr("192.0.2.1"), true
	}
	peer := netip.MustParseAddr("192.0.2.99")
	for range 3 {
		if src, ok := rc.source(peer); !ok || src != netip.MustParseAddr("192.0.2.1") {
			t.Fatalf("source = %s %t", src, ok)
		}
	}
	if asked[peer] != 1 {
		t.Fatalf("kernel asked %d times within the TTL, want 1", asked[peer])
	}
	clk.Advance(routeCacheTTL)
	rc.source(peer)
	if asked[peer] != 2 {
		t.Fatalf("kernel asked %d times after the TTL, want 2", asked[peer])
	}
	if _, ok := rc.source(netip.IPv4Unspecified()); ok {
		t.Error("a route to 0.0.0.0")
	}
	for i := range routeCacheSize + 10 {
		rc.source(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}))
	}
	if n := len(rc.entries); n > routeCacheSize {
		t.Errorf("cache holds %d entries, bound %d", n, routeCacheSize)
	}
}
