package media

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/zaf/g711"

	"pbxlab/internal/clock"
	"pbxlab/internal/memnet"
	"pbxlab/internal/sdpneg"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/sipx"
)

var pbxIP = netip.MustParseAddr("127.0.0.1")

func testMediaConfig() config.Media {
	return config.Media{Enabled: true, Anchor: config.AnchorRelay, RTPPorts: config.PortRange{Min: 20000, Max: 20099}}
}

// newTestServer is a media server on an in-memory network facing every
// peer from 127.0.0.1.
func newTestServer(t *testing.T, cfg config.Media, opts ...Option) (*Server, *memnet.Network) {
	t.Helper()
	nw := memnet.New()
	opts = append([]Option{WithListen(nw.ListenPacket), WithClock(clock.NewFake(time.Unix(1000, 0))),
		WithLocal(func(netip.Addr) (Local, bool) { return Local{Bind: pbxIP, Advertise: pbxIP}, true })}, opts...)
	s, err := New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, nw
}

// sdpOf is a phone's SDP at addr with codecs; edit rewrites lines.
func sdpOf(t *testing.T, addr string, codecs []sdpneg.Codec, edits ...string) []byte {
	t.Helper()
	b, err := sdpneg.Offer(netip.MustParseAddrPort(addr), codecs, 7)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(edits); i += 2 {
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	return []byte(s)
}

func parsed(t *testing.T, b []byte) *legSDP {
	t.Helper()
	l, err := parseLeg(b)
	if err != nil {
		t.Fatalf("the PBX's SDP does not parse: %v\n%s", err, b)
	}
	return l
}

func names(cs []sdpneg.Codec) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.String())
	}
	return strings.Join(out, ",")
}

// TestAnchorSDP: what each leg gets from the PBX for what the other leg
// said: the PBX's address and that leg's endpoint port, the codecs the
// PBX can bridge, the direction mapped.
func TestAnchorSDP(t *testing.T) {
	ulawOnly := []sdpneg.Codec{pcmu, te101}
	tests := []struct {
		name        string
		offer       []byte // the caller's
		wantOffer   string // codecs offered to the callee
		wantDir     string
		answer      []byte // the callee's
		wantAnswer  string // codecs answered to the caller
		wantAnsDir  string
		wantMLines  int
		wantErr     error
		wantNoRelay bool
	}{
		{name: "both laws", offer: sdpOf(t, "10.0.0.1:4000", sdpneg.DefaultCodecs()),
			wantOffer: "0 PCMU/8000,8 PCMA/8000,101 telephone-event/8000", wantDir: "sendrecv",
			answer: sdpOf(t, "10.0.0.2:5000", []sdpneg.Codec{pcma, te101}), wantAnswer: "8 PCMA/8000,101 telephone-event/8000", wantAnsDir: "sendrecv"},
		{name: "A-law caller, mu-law callee: transcoded", offer: sdpOf(t, "10.0.0.1:4000", []sdpneg.Codec{pcma}),
			wantOffer: "8 PCMA/8000,0 PCMU/8000,101 telephone-event/8000", wantDir: "sendrecv",
			answer: sdpOf(t, "10.0.0.2:5000", ulawOnly), wantAnswer: "8 PCMA/8000", wantAnsDir: "sendrecv"},
		{name: "G.722 offered only when the caller has it", offer: sdpOf(t, "10.0.0.1:4000", []sdpneg.Codec{g722, pcmu, te96}),
			wantOffer: "9 G722/8000,0 PCMU/8000,8 PCMA/8000,96 telephone-event/8000", wantDir: "sendrecv",
			answer: sdpOf(t, "10.0.0.2:5000", []sdpneg.Codec{g722, te96}), wantAnswer: "9 G722/8000,96 telephone-event/8000", wantAnsDir: "sendrecv"},
		{name: "hold with sendonly", offer: sdpOf(t, "10.0.0.1:4000", ulawOnly, "a=sendrecv", "a=sendonly"),
			wantOffer: "0 PCMU/8000,8 PCMA/8000,101 telephone-event/8000", wantDir: "sendonly",
			answer: sdpOf(t, "10.0.0.2:5000", ulawOnly, "a=sendrecv", "a=recvonly"), wantAnswer: "0 PCMU/8000,101 telephone-event/8000", wantAnsDir: "recvonly"},
		{name: "RFC 2543 hold c=0.0.0.0", offer: sdpOf(t, "10.0.0.1:4000", ulawOnly, "c=IN IP4 10.0.0.1", "c=IN IP4 0.0.0.0"),
			wantOffer: "0 PCMU/8000,8 PCMA/8000,101 telephone-event/8000", wantDir: "sendonly",
			answer: sdpOf(t, "10.0.0.2:5000", ulawOnly, "a=sendrecv", "a=recvonly"), wantAnswer: "0 PCMU/8000,101 telephone-event/8000", wantAnsDir: "recvonly"},
		{name: "inactive", offer: sdpOf(t, "10.0.0.1:4000", ulawOnly, "a=sendrecv", "a=inactive"),
			wantOffer: "0 PCMU/8000,8 PCMA/8000,101 telephone-event/8000", wantDir: "inactive",
			answer: sdpOf(t, "10.0.0.2:5000", ulawOnly, "a=sendrecv", "a=inactive"), wantAnswer: "0 PCMU/8000,101 telephone-event/8000", wantAnsDir: "inactive"},
		{name: "video declined, audio anchored", offer: sdpOf(t, "10.0.0.1:4000", ulawOnly, "m=audio", "m=video 4002 RTP/AVP 99\r\nm=audio"),
			wantOffer: "0 PCMU/8000,8 PCMA/8000,101 telephone-event/8000", wantDir: "sendrecv",
			answer: sdpOf(t, "10.0.0.2:5000", ulawOnly), wantAnswer: "0 PCMU/8000,101 telephone-event/8000", wantAnsDir: "sendrecv", wantMLines: 2},
		{name: "nothing to bridge", offer: sdpOf(t, "10.0.0.1:4000", []sdpneg.Codec{{PT: 18, Name: "G729", Rate: 8000}}), wantErr: ErrNoCodec},
		{name: "SRTP", offer: sdpOf(t, "10.0.0.1:4000", ulawOnly, "RTP/AVP", "RTP/SAVP"), wantErr: ErrBadSDP},
		{name: "not SDP", offer: []byte("hello"), wantErr: ErrBadSDP},
		{name: "callee has nothing the PBX can bridge", offer: sdpOf(t, "10.0.0.1:4000", []sdpneg.Codec{pcmu}),
			wantOffer: "0 PCMU/8000,8 PCMA/8000,101 telephone-event/8000", wantDir: "sendrecv",
			answer: sdpOf(t, "10.0.0.2:5000", []sdpneg.Codec{te101}), wantErr: ErrNoCodec},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, testMediaConfig())
			c := &call.Call{}
			a, b := &call.Leg{}, &call.Leg{}
			m := s.Seam(c)
			defer m.Close()
			out, err := m.Offer(a, b, tt.offer)
			if tt.answer == nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Offer: %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			o := parsed(t, out)
			if o.sess.Addr.Addr() != pbxIP || names(o.sess.Codecs) != tt.wantOffer || o.sess.Direction != tt.wantDir {
				t.Fatalf("offer to the callee:\n%s\nwant %s at the PBX, %s", out, tt.wantOffer, tt.wantDir)
			}
			if len(o.layout) != 1 || o.rtcp.Port() != o.sess.Addr.Port()+1 {
				t.Errorf("offer to the callee has %d m= lines, rtcp %s", len(o.layout), o.rtcp)
			}
			ans, err := m.Answer(b, a, tt.answer)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Answer: %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := parsed(t, ans)
			if r.sess.Addr.Addr() != pbxIP || r.sess.Addr.Port() == o.sess.Addr.Port() || names(r.sess.Codecs) != tt.wantAnswer || r.sess.Direction != tt.wantAnsDir {
				t.Fatalf("answer to the caller:\n%s\nwant %s at the PBX (another port than %d), %s", ans, tt.wantAnswer, o.sess.Addr.Port(), tt.wantAnsDir)
			}
			if want := max(1, tt.wantMLines); len(r.layout) != want {
				t.Fatalf("answer has %d m= lines, want %d:\n%s", len(r.layout), want, ans)
			}
			snap := s.Snapshot()[""]
			if len(snap) != 2 {
				t.Fatalf("snapshot %+v: want two anchored legs", snap)
			}
		})
	}
}

// TestAnchorRelaysAudio: with both SDPs anchored, what the caller sends to
// its endpoint reaches the callee (transcoded: A-law caller, µ-law
// callee) from the callee's endpoint, and back.
func TestAnchorRelaysAudio(t *testing.T) {
	s, nw := newTestServer(t, testMediaConfig())
	pa := listenPhone(t, nw, "10.0.0.1:4000")
	pb := listenPhone(t, nw, "10.0.0.2:5000")
	c, a, b := &call.Call{}, &call.Leg{}, &call.Leg{}
	m := s.Seam(c)
	defer m.Close()
	off, err := m.Offer(a, b, sdpOf(t, "10.0.0.1:4000", []sdpneg.Codec{pcma}))
	if err != nil {
		t.Fatal(err)
	}
	ans, err := m.Answer(b, a, sdpOf(t, "10.0.0.2:5000", []sdpneg.Codec{pcmu}))
	if err != nil {
		t.Fatal(err)
	}
	toA, toB := parsed(t, ans).sess.Addr, parsed(t, off).sess.Addr
	if e := s.Endpoint(c, a); e == nil || e.Addr() != toA || e.Leg().Addr != pa.addr() {
		t.Fatalf("Endpoint(caller) = %v, want the endpoint at %s facing %s", e, toA, pa.addr())
	}
	if e := s.Endpoint(&call.Call{}, a); e != nil {
		t.Fatal("an endpoint for a call the server never saw")
	}
	pa.send(toA, rtpPacket(8, 1, 0, 0xa, []byte{0xd5}))
	got, from := pb.recv()
	if h, _ := parseRTP(got); h.pt != 0 || got[h.off] != g711.Alaw2UlawFrame(0xd5) || from != toB {
		t.Fatalf("callee got %x from %s, want the caller's A-law as µ-law from %s", got, from, toB)
	}
	pb.send(toB, rtpPacket(0, 1, 0, 0xb, []byte{0xff}))
	if got, from := pa.recv(); got[1] != 8 || got[12] != g711.Ulaw2AlawFrame(0xff) || from != toA {
		t.Fatalf("caller got %x from %s", got, from)
	}
}

// TestAnchorForkedEarlyMedia: the caller's answer in the 183 (first fork)
// and in the 200 (second fork) is the same SDP, and media follows the
// fork that answered.
func TestAnchorForkedEarlyMedia(t *testing.T) {
	s, nw := newTestServer(t, testMediaConfig())
	pa := listenPhone(t, nw, "10.0.0.1:4000")
	pb1 := listenPhone(t, nw, "10.0.0.2:5000")
	pb2 := listenPhone(t, nw, "10.0.0.3:6000")
	c, a, b1, b2 := &call.Call{}, &call.Leg{}, &call.Leg{}, &call.Leg{}
	m := s.Seam(c)
	defer m.Close()
	offer := sdpOf(t, "10.0.0.1:4000", sdpneg.DefaultCodecs())
	o1, err := m.Offer(a, b1, offer)
	if err != nil {
		t.Fatal(err)
	}
	o2, err := m.Offer(a, b2, offer)
	if err != nil {
		t.Fatal(err)
	}
	if parsed(t, o1).sess.Addr == parsed(t, o2).sess.Addr {
		t.Fatal("both forks got the same endpoint")
	}
	early, err := m.Answer(b1, a, sdpOf(t, "10.0.0.2:5000", []sdpneg.Codec{pcmu}))
	if err != nil {
		t.Fatal(err)
	}
	final, err := m.Answer(b2, a, sdpOf(t, "10.0.0.3:6000", []sdpneg.Codec{pcma}))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(early, final) {
		t.Fatalf("the 200's SDP differs from the 183's:\n%s\n%s", early, final)
	}
	toA := parsed(t, final).sess.Addr
	pa.send(toA, rtpPacket(0, 1, 0, 0xa, []byte{0xff}))
	if got, _ := pb2.recv(); got[1] != 8 || got[12] != g711.Ulaw2AlawFrame(0xff) {
		t.Fatalf("the answering fork got %x, want the caller's µ-law as A-law", got)
	}
	pb1.send(parsed(t, o1).sess.Addr, rtpPacket(0, 1, 0, 0xb1, []byte{1})) // the losing fork: not relayed
	pb2.send(parsed(t, o2).sess.Addr, rtpPacket(8, 1, 0, 0xb2, []byte{0xd5}))
	if got, _ := pa.recv(); got[1] != 0 || got[12] != g711.Alaw2UlawFrame(0xd5) {
		t.Fatalf("caller got %x, want the answering fork's audio", got)
	}
}

// TestAnchorLateOfferAndReinvite: an offer in a 2xx reaches the caller as
// the PBX's offer, the caller's answer in the ACK reaches the callee as
// the PBX's answer; a re-INVITE keeps the endpoints and raises the
// version.
func TestAnchorLateOfferAndReinvite(t *testing.T) {
	s, _ := newTestServer(t, testMediaConfig())
	c, a, b := &call.Call{}, &call.Leg{}, &call.Leg{}
	m := s.Seam(c)
	defer m.Close()
	toA, err := m.Offer(b, a, sdpOf(t, "10.0.0.2:5000", []sdpneg.Codec{pcma, te101}))
	if err != nil {
		t.Fatal(err)
	}
	toB, err := m.Answer(a, b, sdpOf(t, "10.0.0.1:4000", []sdpneg.Codec{pcmu, te101}))
	if err != nil {
		t.Fatal(err)
	}
	if got := names(parsed(t, toB).sess.Codecs); got != "8 PCMA/8000,101 telephone-event/8000" {
		t.Fatalf("answer to the callee %s", got)
	}
	re, err := m.Offer(a, b, sdpOf(t, "10.0.0.1:4000", []sdpneg.Codec{pcmu}, "a=sendrecv", "a=sendonly"))
	if err != nil {
		t.Fatal(err)
	}
	p0, p1 := parsed(t, toB), parsed(t, re)
	if p1.sess.Addr != p0.sess.Addr || p1.sess.Origin.SessID != p0.sess.Origin.SessID || p1.sess.Origin.SessVersion != p0.sess.Origin.SessVersion+1 || p1.sess.Direction != "sendonly" {
		t.Fatalf("re-INVITE offer to the callee:\n%s\nafter\n%s\nwant the same address and session, version+1, sendonly", re, toB)
	}
	back, err := m.Answer(b, a, sdpOf(t, "10.0.0.2:5000", []sdpneg.Codec{pcma}, "a=sendrecv", "a=recvonly"))
	if err != nil {
		t.Fatal(err)
	}
	q0, q1 := parsed(t, toA), parsed(t, back)
	if q1.sess.Addr != q0.sess.Addr || q1.sess.Origin.SessVersion != q0.sess.Origin.SessVersion+1 || q1.sess.Direction != "recvonly" {
		t.Fatalf("re-INVITE answer to the caller:\n%s\nafter\n%s", back, toA)
	}
}

func TestAnchorDirectAndDisabled(t *testing.T) {
	offer := sdpOf(t, "10.0.0.1:4000", sdpneg.DefaultCodecs())
	cfg := testMediaConfig()
	cfg.Anchor = config.AnchorDirect
	s, _ := newTestServer(t, cfg)
	m := s.Seam(&call.Call{})
	if out, err := m.Offer(&call.Leg{}, &call.Leg{}, offer); err != nil || !bytes.Equal(out, offer) {
		t.Fatalf("direct: %v %s", err, out)
	}
	m.Close()
	s2, _ := newTestServer(t, testMediaConfig(), WithMode(func(*call.Call) config.Anchor { return config.AnchorDirect }))
	if out, _ := s2.Seam(&call.Call{}).Offer(&call.Leg{}, &call.Leg{}, offer); !bytes.Equal(out, offer) {
		t.Fatalf("WithMode direct changed the SDP: %s", out)
	}
	cfg = testMediaConfig()
	cfg.Enabled = false
	s3, _ := newTestServer(t, cfg)
	if _, ok := s3.Seam(&call.Call{}).(call.PassThrough); !ok || s3.Enabled() {
		t.Fatal("a disabled media server anchors")
	}
	var se *sipx.StatusError
	if err := s3.Require(); !errors.As(err, &se) || se.Code != 486 || !errors.Is(err, ErrDisabled) {
		t.Fatalf("Require of a disabled server: %v, want 486 wrapping ErrDisabled", err)
	}
	if err := s.Require(); err != nil {
		t.Fatal(err)
	}
}

// TestAnchorPortsExhausted: no port pair left is a 503 for the call layer.
func TestAnchorPortsExhausted(t *testing.T) {
	cfg := testMediaConfig()
	cfg.RTPPorts = config.PortRange{Min: 20000, Max: 20003} // two pairs: one call
	s, _ := newTestServer(t, cfg)
	offer := sdpOf(t, "10.0.0.1:4000", sdpneg.DefaultCodecs())
	if _, err := s.Seam(&call.Call{}).Offer(&call.Leg{}, &call.Leg{}, offer); err != nil {
		t.Fatal(err)
	}
	_, err := s.Seam(&call.Call{}).Offer(&call.Leg{}, &call.Leg{}, offer)
	var se *sipx.StatusError
	if !errors.Is(err, ErrNoPorts) || !errors.As(err, &se) || se.Code != 503 {
		t.Fatalf("second call: %v, want a 503 wrapping ErrNoPorts", err)
	}
	if st := s.PortStats(); st.InUse != 2 {
		t.Fatalf("port stats %+v", st)
	}
}

// TestAnchorCloseReleasesPorts: the call's ports go back (draining) when
// its last seam closes.
func TestAnchorCloseReleasesPorts(t *testing.T) {
	cfg := testMediaConfig()
	cfg.PortDrain = time.Second
	s, _ := newTestServer(t, cfg)
	c := &call.Call{}
	m1, m2 := s.Seam(c), s.Seam(c)
	if _, err := m1.Offer(&call.Leg{}, &call.Leg{}, sdpOf(t, "10.0.0.1:4000", sdpneg.DefaultCodecs())); err != nil {
		t.Fatal(err)
	}
	m1.Close()
	m1.Close()
	if st := s.PortStats(); st.InUse != 2 {
		t.Fatalf("after one of two seams closed: %+v", st)
	}
	m2.Close()
	if st := s.PortStats(); st.InUse != 0 || st.Draining != 2 {
		t.Fatalf("after the last seam closed: %+v", st)
	}
}
