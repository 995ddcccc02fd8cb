package media

import (
	"bytes"
	"net/netip"
	"testing"
)

func seedPackets(f *testing.F) {
	f.Add(rtpPacket(0, 1, 160, 0xa, make([]byte, 160)), false)
	f.Add(rtpPacket(101, 2, 160, 0xa, []byte{5, 0x8a, 0, 0xa0}), false)
	f.Add(rtpPacket(8, 3, 160, 0xb, []byte{1}), true)
	f.Add([]byte{0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0xff, 0xff}, false) // extension longer than the packet
	f.Add([]byte{0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x40}, false)          // padding longer than the packet
	f.Add([]byte{0x8f, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, false)                         // 15 CSRCs, none there
	f.Add(rtcpRR(0xa), false)
	f.Add([]byte{0x81, 200, 0xff, 0xff, 0, 0, 0, 1}, false) // RTCP length beyond the datagram
	f.Add(bytes.Repeat([]byte{0x80}, maxDatagram), false)
	f.Add([]byte{}, false)
}

// FuzzEndpointRTP feeds any datagram to an endpoint's RTP path: it never
// panics, and each datagram is counted exactly once — accepted, or dropped
// as malformed, wrong payload type or stranger.
func FuzzEndpointRTP(f *testing.F) {
	seedPackets(f)
	r := newRig(f)
	r.a.SetLeg(legMedia(r.pa.addr(), pcmu, te101))
	r.b.SetLeg(legMedia(r.pb.addr(), pcma))
	Link(r.a, r.b)
	var st rxState
	e := r.a
	e.handleRTP(&st, rtpPacket(0, 1, 0, 0xa, []byte{1}), r.pa.addr()) // latch to A
	stranger := netip.MustParseAddrPort("10.0.0.66:4000")
	f.Fuzz(func(t *testing.T, b []byte, fromStranger bool) {
		from := r.pa.addr()
		if fromStranger {
			from = stranger
		}
		count := func() uint64 {
			s := e.Stats()
			return s.PacketsIn + s.Malformed + s.WrongPT + s.Strangers
		}
		before := count()
		e.handleRTP(&st, bytes.Clone(b), from)
		if after := count(); after != before+1 {
			t.Fatalf("datagram counted %d times", after-before)
		}
		st.latched, st.src, st.ssrc = true, r.pa.addr(), 0xa // stay latched to A
	})
}

// FuzzEndpointRTCP: the same for the RTCP path.
func FuzzEndpointRTCP(f *testing.F) {
	seedPackets(f)
	r := newRig(f)
	r.a.SetLeg(legMedia(r.pa.addr(), pcmu))
	r.b.SetLeg(legMedia(r.pb.addr(), pcmu))
	Link(r.a, r.b)
	var latched netip.AddrPort
	stranger := netip.MustParseAddrPort("10.0.0.66:4001")
	f.Fuzz(func(t *testing.T, b []byte, fromStranger bool) {
		from := netip.AddrPortFrom(r.pa.addr().Addr(), 4001)
		if fromStranger {
			from = stranger
		}
		count := func() uint64 {
			s := r.a.Stats()
			return s.RTCPIn + s.Malformed + s.Strangers
		}
		before := count()
		r.a.handleRTCP(&latched, bytes.Clone(b), from)
		if after := count(); after != before+1 {
			t.Fatalf("datagram counted %d times", after-before)
		}
	})
}

// FuzzParseRTP: parseRTP never reads outside the datagram and its payload
// bounds are inside it.
func FuzzParseRTP(f *testing.F) {
	seedPackets(f)
	f.Fuzz(func(t *testing.T, b []byte, _ bool) {
		h, ok := parseRTP(b)
		if ok && (h.off < 12 || h.off > h.end || h.end > len(b)) {
			t.Fatalf("payload [%d:%d] of a %d-byte datagram", h.off, h.end, len(b))
		}
		_ = isRTCP(b)
	})
}
