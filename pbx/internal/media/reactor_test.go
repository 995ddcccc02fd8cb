package media

import (
	"net"
	"net/netip"
	"testing"
)

// TestReactorRelay: endpoints served by the reactor (real UDP sockets,
// IPv4 and IPv6) relay both ways, latch, and transcode; closing them while
// packets arrive is safe.
func TestReactorRelay(t *testing.T) {
	for _, ip := range []netip.Addr{loopback, netip.IPv6Loopback()} {
		t.Run(ip.String(), func(t *testing.T) {
			r, err := newReactor(2, 8)
			if err != nil {
				t.Skipf("no reactor here: %v", err)
			}
			defer r.close()
			ports, err := NewPorts(43000, 43999, 0)
			if err != nil {
				t.Fatal(err)
			}
			ep := func(name string) *Endpoint {
				pr, err := ports.Allocate(ip)
				if err != nil {
					t.Skipf("no %s sockets here: %v", ip, err)
				}
				e := NewEndpoint(name, pr, withReactor(r))
				if e.fd < 0 {
					t.Fatal("the reactor did not take the socket")
				}
				return e
			}
			a, b := ep("a"), ep("b")
			pa, pb := udpPhone(t, ip), udpPhone(t, ip)
			lie := netip.AddrPortFrom(ip, 9) // A's SDP: the discard port
			a.SetLeg(legMedia(lie, pcmu))
			b.SetLeg(legMedia(pb.addr(), pcma))
			Link(a, b)
			pa.send(a.Addr(), rtpPacket(0, 1, 0, 0xa, []byte{0xff}))
			got, from := pb.recv()
			if h, ok := parseRTP(got); !ok || h.pt != 8 || from != b.Addr() {
				t.Fatalf("B got %x from %s", got, from)
			}
			pb.send(b.Addr(), rtpPacket(8, 1, 0, 0xb, []byte{0xd5}))
			if got, from := pa.recv(); got[1] != 0 || from != a.Addr() {
				t.Fatalf("A got %x from %s (latched: %s)", got, from, a.Stats().Latched)
			}
			waitFor(t, func() bool { return a.Stats().PacketsOut == 1 }, "A's counters")
			if st := a.Stats(); st.Latched != pa.addr() || st.PacketsIn != 1 {
				t.Fatalf("A stats %+v", st)
			}
			done := make(chan struct{})
			go func() { // keep sending while the endpoints close
				defer close(done)
				for i := range 200 {
					pa.send(a.Addr(), rtpPacket(0, uint16(i+2), 0, 0xa, []byte{1}))
				}
			}()
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			<-done
		})
	}
}

// TestReactorHotPathAllocs: a packet relayed by a reactor's endpoint
// (sendto on the raw descriptor) allocates nothing.
func TestReactorHotPathAllocs(t *testing.T) {
	r, err := newReactor(1, 4)
	if err != nil {
		t.Skipf("no reactor here: %v", err)
	}
	defer r.close()
	ports, err := NewPorts(44000, 44999, 0)
	if err != nil {
		t.Fatal(err)
	}
	pairA, errA := ports.Allocate(loopback)
	pairB, errB := ports.Allocate(loopback)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	a, b := NewEndpoint("a", pairA, withReactor(r)), NewEndpoint("b", pairB, withReactor(r))
	defer a.Close()
	defer b.Close()
	sink := udpPhone(t, loopback)
	a.SetLeg(legMedia(netip.MustParseAddrPort("127.0.0.1:9"), pcmu))
	b.SetLeg(legMedia(sink.addr(), pcma))
	Link(a, b)
	var st rxState
	pkt := rtpPacket(0, 1, 0, 0xa, make([]byte, 160))
	seq := uint16(1)
	allocs := testing.AllocsPerRun(200, func() {
		seq++
		pkt[2], pkt[3], pkt[1] = byte(seq>>8), byte(seq), 0
		a.handleRTP(&st, pkt, netip.MustParseAddrPort("127.0.0.1:9"))
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per relayed packet, want 0", allocs)
	}
	if b.Stats().PacketsOut == 0 {
		t.Fatal("nothing was relayed")
	}
}

// udpPhone is a real UDP socket standing for a phone.
func udpPhone(t *testing.T, ip netip.Addr) *phoneSock {
	t.Helper()
	pc, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	if err != nil {
		t.Skipf("no %s socket: %v", ip, err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	_ = pc.SetReadBuffer(1 << 20)
	return &phoneSock{t: t, pc: pc}
}
