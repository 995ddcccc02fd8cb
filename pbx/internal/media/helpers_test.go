package media

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/internal/memnet"
	"pbxlab/internal/sdpneg"
)

// rtpPacket builds an RTP packet with a payload of n bytes of fill.
func rtpPacket(pt uint8, seq uint16, ts, ssrc uint32, payload []byte) []byte {
	b := make([]byte, 12+len(payload))
	b[0] = 0x80
	b[1] = pt
	binary.BigEndian.PutUint16(b[2:], seq)
	binary.BigEndian.PutUint32(b[4:], ts)
	binary.BigEndian.PutUint32(b[8:], ssrc)
	copy(b[12:], payload)
	return b
}

// rtcpRR is a minimal receiver report of ssrc.
func rtcpRR(ssrc uint32) []byte {
	b := make([]byte, 8)
	b[0], b[1] = 0x80, 201
	binary.BigEndian.PutUint16(b[2:], 1)
	binary.BigEndian.PutUint32(b[4:], ssrc)
	return b
}

// memPair is an RTP/RTCP pair on an in-memory network.
func memPair(t testing.TB, nw *memnet.Network, ap netip.AddrPort) *Pair {
	t.Helper()
	p, err := NewPorts(int(ap.Port()), int(ap.Port())+1, 0, WithPortsListen(nw.ListenPacket))
	if err != nil {
		t.Fatal(err)
	}
	pr, err := p.Allocate(ap.Addr())
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

// phoneSock is a socket standing for a phone's RTP (or RTCP) port.
type phoneSock struct {
	t  testing.TB
	pc net.PacketConn
}

func listenPhone(t testing.TB, nw *memnet.Network, addr string) *phoneSock {
	t.Helper()
	pc, err := nw.ListenPacket("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return &phoneSock{t: t, pc: pc}
}

func (p *phoneSock) addr() netip.AddrPort { return addrOf(p.pc) }

func (p *phoneSock) send(to netip.AddrPort, b []byte) {
	p.t.Helper()
	if _, err := p.pc.WriteTo(b, net.UDPAddrFromAddrPort(to)); err != nil {
		p.t.Fatal(err)
	}
}

// recv waits (bounded) for the next datagram.
func (p *phoneSock) recv() ([]byte, netip.AddrPort) {
	p.t.Helper()
	_ = p.pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, from, err := p.pc.ReadFrom(buf)
	if err != nil {
		p.t.Fatalf("phone %s receive: %v", p.addr(), err)
	}
	ap, _ := netip.ParseAddrPort(from.String())
	return buf[:n], ap
}

var (
	pcmu  = sdpneg.PCMU()
	pcma  = sdpneg.PCMA()
	g722  = sdpneg.Codec{PT: 9, Name: "G722", Rate: 8000}
	te101 = sdpneg.TelephoneEvent()
	te96  = sdpneg.Codec{PT: 96, Name: "telephone-event", Rate: 8000}
)

// legMedia: a sendrecv leg at addr (RTCP on the next port) with codecs.
func legMedia(addr netip.AddrPort, codecs ...sdpneg.Codec) *LegMedia {
	return NewLegMedia(addr, netip.AddrPortFrom(addr.Addr(), addr.Port()+1), true, true, codecs, codecs)
}

// rig is two endpoints of the PBX on an in-memory network, each facing a
// phone socket.
type rig struct {
	nw     *memnet.Network
	clk    *clock.Fake
	a, b   *Endpoint
	pa, pb *phoneSock // the phones' RTP sockets
}

func newRig(t testing.TB) *rig {
	t.Helper()
	nw := memnet.New()
	clk := clock.NewFake(time.Unix(1000, 0))
	r := &rig{nw: nw, clk: clk}
	r.a = NewEndpoint("a", memPair(t, nw, netip.MustParseAddrPort("127.0.0.1:20000")), WithEndpointClock(clk))
	r.b = NewEndpoint("b", memPair(t, nw, netip.MustParseAddrPort("127.0.0.1:20002")), WithEndpointClock(clk))
	t.Cleanup(func() { _ = r.a.Close(); _ = r.b.Close() })
	r.pa = listenPhone(t, nw, "10.0.0.1:4000")
	r.pb = listenPhone(t, nw, "10.0.0.2:5000")
	return r
}
