package media

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/zaf/g711"

	"pbxlab/internal/sdpneg"
)

// TestRelayPassAndTranscode: A (PCMU) → B: with B on PCMU the payload
// passes unchanged, with B on PCMA it is transcoded, both ways; payload
// types are the far leg's.
func TestRelayPassAndTranscode(t *testing.T) {
	payload := []byte{0x00, 0x13, 0x7f, 0x80, 0xd5, 0xff}
	tests := []struct {
		name    string
		aCodecs []sdpneg.Codec
		bCodecs []sdpneg.Codec
		sendPT  uint8
		wantPT  uint8
		want    []byte
		backPT  uint8
		backOut uint8
		back    func([]byte) []byte
	}{
		{"same law", []sdpneg.Codec{pcmu}, []sdpneg.Codec{pcmu}, 0, 0, payload, 0, 0, bytes.Clone},
		{"mu-law to A-law", []sdpneg.Codec{pcmu}, []sdpneg.Codec{pcma}, 0, 8, g711.Ulaw2Alaw(payload), 8, 0, g711.Alaw2Ulaw},
		{"A-law to mu-law", []sdpneg.Codec{pcma}, []sdpneg.Codec{pcmu}, 8, 0, g711.Alaw2Ulaw(payload), 0, 8, g711.Ulaw2Alaw},
		{"g722 both", []sdpneg.Codec{g722, pcmu}, []sdpneg.Codec{g722, pcma}, 9, 9, payload, 9, 9, bytes.Clone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			r.a.SetLeg(legMedia(r.pa.addr(), tt.aCodecs...))
			r.b.SetLeg(legMedia(r.pb.addr(), tt.bCodecs...))
			Link(r.a, r.b)
			r.pa.send(r.a.Addr(), rtpPacket(tt.sendPT, 1, 160, 0xaaaa, payload))
			got, from := r.pb.recv()
			if from != r.b.Addr() {
				t.Errorf("B got RTP from %s, want the PBX's B endpoint %s (symmetric RTP)", from, r.b.Addr())
			}
			h, ok := parseRTP(got)
			if !ok || h.pt != tt.wantPT || !bytes.Equal(got[h.off:h.end], tt.want) || h.ssrc != 0xaaaa || h.seq != 1 {
				t.Fatalf("B got %x (pt %d), want pt %d payload %x", got, h.pt, tt.wantPT, tt.want)
			}
			r.pb.send(r.b.Addr(), rtpPacket(tt.backPT, 7, 160, 0xbbbb, payload))
			got, _ = r.pa.recv()
			h, _ = parseRTP(got)
			if h.pt != tt.backOut || !bytes.Equal(got[h.off:h.end], tt.back(payload)) {
				t.Fatalf("A got pt %d payload %x, want pt %d %x", h.pt, got[h.off:h.end], tt.backOut, tt.back(payload))
			}
			// the counters move after the write returns, which may be
			// after A already read the packet
			waitFor(t, func() bool { return r.a.Stats().PacketsOut == 1 }, "A's PacketsOut to count the packet sent to A")
			if st := r.a.Stats(); st.PacketsIn != 1 || st.PacketsOut != 1 || st.BytesIn != uint64(len(payload)) {
				t.Errorf("A stats %+v", st)
			}
		})
	}
}

// TestRelayEventsAndDrops: telephone-event has its payload type mapped;
// G.722 and events towards a leg without them, unknown payload types and
// malformed datagrams are dropped and counted.
func TestRelayEventsAndDrops(t *testing.T) {
	r := newRig(t)
	r.a.SetLeg(legMedia(r.pa.addr(), g722, pcmu, te101))
	r.b.SetLeg(legMedia(r.pb.addr(), pcma, te96))
	Link(r.a, r.b)
	ev := []byte{5, 0x0a, 0x00, 0xa0}
	r.pa.send(r.a.Addr(), rtpPacket(101, 1, 160, 1, ev))
	got, _ := r.pb.recv()
	if h, _ := parseRTP(got); h.pt != 96 || !bytes.Equal(got[h.off:h.end], ev) {
		t.Fatalf("event arrived as %x, want pt 96 with the same payload", got)
	}
	r.pa.send(r.a.Addr(), rtpPacket(9, 2, 320, 1, []byte{1, 2, 3})) // G.722: B has none
	r.pa.send(r.a.Addr(), rtpPacket(18, 3, 480, 1, []byte{1, 2}))   // G.729: never negotiated
	r.pa.send(r.a.Addr(), []byte{0x80, 0, 1})                       // truncated
	r.pa.send(r.a.Addr(), bytes.Repeat([]byte{0x80}, maxDatagram))  // giant
	r.pa.send(r.a.Addr(), rtpPacket(0, 4, 640, 1, []byte{0xff}))    // marker: the last one
	got, _ = r.pb.recv()
	if h, _ := parseRTP(got); h.seq != 4 || h.pt != 8 {
		t.Fatalf("after the dropped packets B got seq %d pt %d, want the PCMU packet 4 as PCMA", h.seq, h.pt)
	}
	st := r.a.Stats()
	if st.Unrouted != 1 || st.WrongPT != 1 || st.Malformed != 2 || st.PacketsIn != 3 {
		t.Fatalf("stats %+v: want 1 unrouted (G.722), 1 wrong PT, 2 malformed, 3 accepted", st)
	}
}

// TestLatching: the PBX sends to where the leg's packets come from (NAT),
// not to its SDP address; once latched, strangers are ignored even with
// another SSRC while the leg is talking; after the leg fell silent a new
// source with a new SSRC takes over; a new SDP address (re-INVITE) latches
// anew.
func TestLatching(t *testing.T) {
	r := newRig(t)
	lie := netip.MustParseAddrPort("192.168.1.50:7000") // the SDP of a phone behind NAT
	r.a.SetLeg(legMedia(lie, pcmu))
	r.b.SetLeg(legMedia(r.pb.addr(), pcmu))
	Link(r.a, r.b)
	before := r.nw.Stats().NoListener
	r.pb.send(r.b.Addr(), rtpPacket(0, 1, 0, 0xb, []byte{1})) // to A's SDP address: lost
	r.pb.send(r.b.Addr(), rtpPacket(0, 2, 0, 0xb, []byte{1}))
	waitFor(t, func() bool { return r.nw.Stats().NoListener == before+2 }, "B's first packets to go to A's SDP address")

	r.pa.send(r.a.Addr(), rtpPacket(0, 1, 0, 0xa, []byte{1})) // A talks: latched
	r.pb.recv()
	r.pb.send(r.b.Addr(), rtpPacket(0, 3, 0, 0xb, []byte{3}))
	if got, _ := r.pa.recv(); got[len(got)-1] != 3 {
		t.Fatalf("A got %x", got)
	}
	if l := r.a.Stats().Latched; l != r.pa.addr() {
		t.Fatalf("latched to %s, want %s", l, r.pa.addr())
	}

	stranger := listenPhone(t, r.nw, "10.0.0.66:4000")
	stranger.send(r.a.Addr(), rtpPacket(0, 9, 0, 0xbad, []byte{0x66}))
	stranger.send(r.a.Addr(), rtpPacket(0, 9, 0, 0xa, []byte{0x66})) // spoofed SSRC
	r.pa.send(r.a.Addr(), rtpPacket(0, 2, 160, 0xa, []byte{2}))
	if got, _ := r.pb.recv(); got[len(got)-1] != 2 {
		t.Fatalf("B got a stranger's packet %x", got)
	}
	if st := r.a.Stats(); st.Strangers != 2 || st.Latched != r.pa.addr() {
		t.Fatalf("stats %+v: want 2 strangers, still latched to A", st)
	}

	r.clk.Advance(relatchSilence) // A went silent; a new stream from elsewhere takes over
	moved := listenPhone(t, r.nw, "10.0.0.1:4100")
	moved.send(r.a.Addr(), rtpPacket(0, 500, 0, 0xa2, []byte{5}))
	if got, _ := r.pb.recv(); got[len(got)-1] != 5 {
		t.Fatalf("B got %x after the relatch", got)
	}
	r.pb.send(r.b.Addr(), rtpPacket(0, 4, 0, 0xb, []byte{4}))
	if got, _ := moved.recv(); got[len(got)-1] != 4 {
		t.Fatalf("the moved source got %x", got)
	}
	if st := r.a.Stats(); st.Relatches != 1 || st.SSRC != 0xa2 {
		t.Fatalf("stats %+v", st)
	}

	r.a.SetLeg(legMedia(r.pa.addr(), pcmu)) // re-INVITE: a new SDP address
	r.pb.send(r.b.Addr(), rtpPacket(0, 5, 0, 0xb, []byte{6}))
	if got, _ := r.pa.recv(); got[len(got)-1] != 6 {
		t.Fatalf("A got %x after its new SDP", got)
	}
}

// TestRTCPRelayed: RTCP from A's RTP IP reaches B's RTCP port from B's
// endpoint RTCP port; RTCP from a stranger IP is dropped.
func TestRTCPRelayed(t *testing.T) {
	r := newRig(t)
	r.a.SetLeg(legMedia(r.pa.addr(), pcmu))
	r.b.SetLeg(legMedia(r.pb.addr(), pcmu))
	Link(r.a, r.b)
	pbRTCP := listenPhone(t, r.nw, "10.0.0.2:5001")
	paRTCP := listenPhone(t, r.nw, "10.0.0.1:4001")
	r.pa.send(r.a.Addr(), rtpPacket(0, 1, 0, 0xa, []byte{1}))
	r.pb.recv()
	aRTCP := netip.AddrPortFrom(r.a.Addr().Addr(), r.a.Addr().Port()+1)
	stranger := listenPhone(t, r.nw, "10.0.0.66:4001")
	stranger.send(aRTCP, rtcpRR(0xbad))
	paRTCP.send(aRTCP, rtcpRR(0xa))
	got, from := pbRTCP.recv()
	if !bytes.Equal(got, rtcpRR(0xa)) || from.Port() != r.b.Addr().Port()+1 {
		t.Fatalf("B's RTCP got %x from %s", got, from)
	}
	if st := r.a.Stats(); st.RTCPIn != 1 || st.Strangers != 1 {
		t.Fatalf("stats %+v", st)
	}
	waitFor(t, func() bool { return r.b.Stats().RTCPOut >= 1 }, "B's RTCPOut to count the relayed report") // counted after the write returns
	if st := r.b.Stats(); st.RTCPOut != 1 {
		t.Fatalf("B stats %+v", st)
	}
}

// TestHoldSendsNothing: a leg that takes no media (sendonly, inactive,
// c=0.0.0.0) gets nothing; Override keeps relayed audio away too.
func TestHoldSendsNothing(t *testing.T) {
	r := newRig(t)
	r.a.SetLeg(legMedia(r.pa.addr(), pcmu))
	r.b.SetLeg(NewLegMedia(r.pb.addr(), netip.AddrPort{}, false, false, []sdpneg.Codec{pcmu}, []sdpneg.Codec{pcmu}))
	Link(r.a, r.b)
	r.pa.send(r.a.Addr(), rtpPacket(0, 1, 0, 0xa, []byte{1}))
	waitFor(t, func() bool { return r.a.Stats().Unrouted == 1 }, "A's packet to be held back")
	r.b.SetLeg(legMedia(r.pb.addr(), pcmu))
	Link(r.a, r.b)
	r.b.SetOverride(true)
	r.pa.send(r.a.Addr(), rtpPacket(0, 2, 0, 0xa, []byte{2}))
	waitFor(t, func() bool { return r.a.Stats().Unrouted == 2 }, "A's packet to be held back by the override")
	if err := r.b.Send(rtpPacket(0, 1, 0, 0x9, []byte{9})); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.pb.recv(); got[len(got)-1] != 9 {
		t.Fatalf("B got %x, want the Player's packet", got)
	}
}

// TestStatsLossAndJitter: a sequence gap counts as loss; packets paced
// exactly at their timestamps give zero jitter, a late one some.
func TestStatsLossAndJitter(t *testing.T) {
	r := newRig(t)
	r.a.SetLeg(legMedia(r.pa.addr(), pcmu))
	for i, seq := range []uint16{65534, 65535, 1, 2} { // 0 lost, across the wrap
		r.pa.send(r.a.Addr(), rtpPacket(0, seq, uint32(i)*160, 0xa, make([]byte, 160)))
		waitFor(t, func() bool { return r.a.Stats().PacketsIn == uint64(i+1) }, "packet accepted")
		r.clk.Advance(20 * time.Millisecond)
	}
	st := r.a.Stats()
	if st.Lost != 1 || st.Jitter != 0 {
		t.Fatalf("lost %d jitter %s, want 1 lost and no jitter", st.Lost, st.Jitter)
	}
	r.clk.Advance(16 * time.Millisecond) // 36 ms after the previous one
	r.pa.send(r.a.Addr(), rtpPacket(0, 3, 4*160, 0xa, make([]byte, 160)))
	waitFor(t, func() bool { return r.a.Stats().PacketsIn == 5 }, "packet accepted")
	if j := r.a.Stats().Jitter; j != time.Millisecond {
		t.Fatalf("jitter %s, want 16 ms / 16 = 1 ms (RFC 3550 A.8)", j)
	}
}

func TestIdle(t *testing.T) {
	r := newRig(t)
	r.a.SetLeg(legMedia(r.pa.addr(), pcmu))
	r.clk.Advance(5 * time.Second)
	if d := r.a.Idle(); d != 5*time.Second {
		t.Fatalf("idle %s", d)
	}
	r.pa.send(r.a.Addr(), rtpPacket(0, 1, 0, 0xa, []byte{1}))
	waitFor(t, func() bool { return r.a.Stats().PacketsIn == 1 }, "packet accepted")
	r.clk.Advance(time.Second)
	if d := r.a.Idle(); d != time.Second {
		t.Fatalf("idle %s after a packet, want 1s", d)
	}
	r.clk.Advance(time.Second)
	r.a.Rearm()
	if d := r.a.Idle(); d != 0 {
		t.Fatalf("idle %s after Rearm", d)
	}
}

// waitFor polls cond (bounded, generous: no timing is asserted).
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
