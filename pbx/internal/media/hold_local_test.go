package media

import (
	"net/netip"
	"testing"

	"pbxlab/internal/sdpneg"
	"pbxlab/pbx/internal/call"
)

// establishedCall is a call anchored both ways (a offered, b answered)
// on s, whose hold policy says pbx for the legs in byPBX.
func establishedCall(t testing.TB, s *Server) (*call.Call, *call.Leg, *call.Leg, call.LocalHolder) {
	t.Helper()
	c, a, b := &call.Call{}, &call.Leg{}, &call.Leg{}
	m := s.Seam(c)
	t.Cleanup(m.Close)
	ulaw := []sdpneg.Codec{pcmu, te101}
	off, err := sdpneg.Offer(netip.MustParseAddrPort("10.0.0.1:4000"), ulaw, 1)
	if err != nil {
		t.Fatal(err)
	}
	ans, err := sdpneg.Offer(netip.MustParseAddrPort("10.0.0.2:5000"), ulaw, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Offer(a, b, off); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Answer(b, a, ans); err != nil {
		t.Fatal(err)
	}
	lh, ok := m.(call.LocalHolder)
	if !ok {
		t.Fatal("the media seam is not a call.LocalHolder")
	}
	return c, a, b, lh
}

// TestHoldLocally: which re-offers the PBX answers itself and with what
// direction, and the music on hold to the held party.
func TestHoldLocally(t *testing.T) {
	ulaw := []sdpneg.Codec{pcmu, te101}
	hold := func(edits ...string) []byte { return sdpOf(t, "10.0.0.1:4000", ulaw, edits...) }
	tests := []struct {
		name    string
		byPBX   bool
		noHold  bool // no WithHold: every hold relayed
		offer   []byte
		wantOK  bool
		wantDir string
	}{
		{name: "sendonly taken", byPBX: true, offer: hold("a=sendrecv", "a=sendonly"), wantOK: true, wantDir: sdpneg.RecvOnly},
		{name: "inactive taken", byPBX: true, offer: hold("a=sendrecv", "a=inactive"), wantOK: true, wantDir: sdpneg.Inactive},
		{name: "c=0.0.0.0 taken", byPBX: true, offer: hold("c=IN IP4 10.0.0.1", "c=IN IP4 0.0.0.0"), wantOK: true, wantDir: sdpneg.RecvOnly},
		{name: "relay mode", byPBX: false, offer: hold("a=sendrecv", "a=sendonly")},
		{name: "no hold policy", noHold: true, offer: hold("a=sendrecv", "a=sendonly")},
		{name: "sendrecv is no hold", byPBX: true, offer: hold()},
		{name: "not SDP", byPBX: true, offer: []byte("hello")},
		{name: "audio declined", byPBX: true, offer: hold("m=audio 4000", "m=audio 0")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []Option
			if !tt.noHold {
				opts = append(opts, WithHold(func(*call.Call, *call.Leg) bool { return tt.byPBX }))
			}
			s, _ := newTestServer(t, testMediaConfig(), opts...)
			c, a, b, lh := establishedCall(t, s)
			out, ok, err := lh.HoldLocally(a, b, tt.offer)
			if ok != tt.wantOK || err != nil {
				t.Fatalf("HoldLocally = ok %v, %v; want ok %v", ok, err, tt.wantOK)
			}
			st := s.anchors[c].legs[b]
			if !ok {
				if st.moh != nil {
					t.Fatal("music on hold without a hold taken")
				}
				return
			}
			if got := parsed(t, out).sess.Direction; got != tt.wantDir {
				t.Fatalf("answer direction %s, want %s\n%s", got, tt.wantDir, out)
			}
			if st.moh == nil {
				t.Fatal("the held party gets no music on hold")
			}
			// the held party's session refresh is answered by the PBX too
			refresh := sdpOf(t, "10.0.0.2:5000", ulaw)
			if _, ok, err := lh.HoldLocally(b, a, refresh); !ok || err != nil {
				t.Fatalf("held party's re-offer: ok %v, %v; want taken", ok, err)
			}
			if st.moh == nil {
				t.Fatal("the held party's re-offer stopped the music")
			}
			// the resume
			back, ok, err := lh.HoldLocally(a, b, hold())
			if !ok || err != nil {
				t.Fatalf("resume: ok %v, %v", ok, err)
			}
			if got := parsed(t, back).sess.Direction; got != sdpneg.SendRecv {
				t.Fatalf("resume answered %s", got)
			}
			if st.moh != nil || st.ep.override.Load() {
				t.Fatal("the music goes on after the resume")
			}
			if _, ok, _ := lh.HoldLocally(a, b, hold()); ok {
				t.Fatal("a sendrecv re-offer after the resume was taken: want it relayed")
			}
		})
	}
}

// FuzzHoldLocally: any re-offer body on an established call held by the
// PBX is answered with SDP that parses, or relayed; nothing panics.
func FuzzHoldLocally(f *testing.F) {
	f.Add([]byte("v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendonly\r\n"))
	f.Add([]byte("v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18\r\n"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, _ := newTestServer(t, testMediaConfig(), WithHold(func(*call.Call, *call.Leg) bool { return true }))
		_, a, b, lh := establishedCall(t, s)
		out, ok, err := lh.HoldLocally(a, b, body)
		if ok && err == nil {
			if _, perr := parseLeg(out); perr != nil {
				t.Fatalf("answer does not parse: %v\n%s", perr, out)
			}
		}
	})
}
