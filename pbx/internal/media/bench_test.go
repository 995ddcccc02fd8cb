package media

import (
	"net"
	"net/netip"
	"testing"
)

// udpRig is two endpoints on real loopback sockets, B's phone a real
// socket that nobody reads (the kernel drops what overflows it).
func udpRig(t testing.TB) (a, b *Endpoint, pa netip.AddrPort) {
	t.Helper()
	ports, err := NewPorts(42000, 42999, 0)
	if err != nil {
		t.Fatal(err)
	}
	pairA, err := ports.Allocate(loopback)
	if err != nil {
		t.Fatal(err)
	}
	pairB, err := ports.Allocate(loopback)
	if err != nil {
		t.Fatal(err)
	}
	a, b = NewEndpoint("a", pairA), NewEndpoint("b", pairB)
	phoneB, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close(); _ = b.Close(); _ = phoneB.Close() })
	pa = netip.MustParseAddrPort("127.0.0.1:9") // discard: A's phone never reads
	a.SetLeg(legMedia(pa, pcmu, te101))
	b.SetLeg(legMedia(addrOf(phoneB), pcma, te96))
	Link(a, b)
	return a, b, pa
}

// TestHotPathAllocs: accepting, transcoding and relaying a packet on real
// sockets allocates nothing.
func TestHotPathAllocs(t *testing.T) {
	a, b, pa := udpRig(t)
	var st rxState
	pkt := rtpPacket(0, 1, 0, 0xa, make([]byte, 160))
	seq := uint16(1)
	allocs := testing.AllocsPerRun(200, func() {
		seq++
		pkt[2], pkt[3] = byte(seq>>8), byte(seq)
		pkt[1] = 0 // the relay rewrote it to PCMA's type
		a.handleRTP(&st, pkt, pa)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per relayed packet, want 0", allocs)
	}
	if b.Stats().PacketsOut == 0 {
		t.Fatal("nothing was relayed")
	}
}

// BenchmarkRelay is the per-packet cost of accept + transcode + send (one
// sendto on loopback included).
func BenchmarkRelay(bm *testing.B) {
	a, _, pa := udpRig(bm)
	var st rxState
	pkt := rtpPacket(0, 1, 0, 0xa, make([]byte, 160))
	bm.ReportAllocs()
	seq := uint16(0)
	for bm.Loop() {
		seq++
		pkt[2], pkt[3] = byte(seq>>8), byte(seq)
		pkt[1] = 0
		a.handleRTP(&st, pkt, pa)
	}
}
