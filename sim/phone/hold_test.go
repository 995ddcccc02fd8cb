package phone

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/sdpneg"
)

// TestHoldAndResumeBothWays: either side of an answered call puts it on
// hold (a re-INVITE in its dialog, 2xx ACKed) in each mode and resumes;
// the phone's SDP carries the direction and a raised version; afterwards
// both still hear each other.
func TestHoldAndResumeBothWays(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 20*time.Second)
	agentA := newTestAgent(t, Config{})
	agentB := newTestAgent(t, Config{})
	a := newTestPhone(t, agentA, PhoneConfig{Number: "1000"})
	b, inc := callee(t, agentB, "1001", AnswerMode{Behaviour: Answer})
	out, in := answered(t, ctx, a, b, inc)
	for _, leg := range []*Call{out, in} {
		for _, m := range []struct {
			mode HoldMode
			want string
		}{{HoldSendOnly, "a=sendonly"}, {HoldInactive, "a=inactive"}, {HoldZeroAddr, "c=IN IP4 0.0.0.0"}} {
			before := sdpVersion(t, leg.localSDP)
			if err := leg.HoldWith(ctx, m.mode); err != nil {
				t.Fatalf("%s hold %d: %v", leg.Direction(), m.mode, err)
			}
			if !strings.Contains(string(leg.localSDP), m.want) || sdpVersion(t, leg.localSDP) != before+1 {
				t.Fatalf("%s held with %d: SDP\n%s\nwant %q and version %d", leg.Direction(), m.mode, leg.localSDP, m.want, before+1)
			}
			if err := leg.Resume(ctx); err != nil {
				t.Fatalf("%s resume: %v", leg.Direction(), err)
			}
			if !strings.Contains(string(leg.localSDP), "a=sendrecv") || strings.Contains(string(leg.localSDP), "0.0.0.0") {
				t.Fatalf("resumed SDP\n%s", leg.localSDP)
			}
		}
	}
	if tw, err := VerifyTwoWay(testCtx(t, 5*time.Second), out, in); err != nil || !tw.OK() {
		t.Fatalf("two-way audio after hold and resume: %v", err)
	}
	if err := out.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if err := out.Hold(ctx); err == nil {
		t.Fatal("hold of an ended call succeeded")
	}
}

func sdpVersion(t *testing.T, b []byte) uint64 {
	t.Helper()
	s, err := sdpneg.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return s.Origin.SessVersion
}

func TestRefreshAnswerDirections(t *testing.T) {
	local := []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n")
	for offer, want := range map[string]string{"sendonly": "recvonly", "inactive": "inactive", "recvonly": "sendonly", "sendrecv": "sendrecv"} {
		o := withDirection(local, offer)
		got := refreshAnswer(local, o)
		if s, err := sdpneg.Parse(got); err != nil || s.Direction != want {
			t.Errorf("answer to %s: %s (%v), want %s", offer, got, err, want)
		}
	}
	bare := bytes.Replace(local, []byte("a=sendrecv\r\n"), nil, 1)
	if s, err := sdpneg.Parse(withDirection(bare, "inactive")); err != nil || s.Direction != "inactive" {
		t.Fatalf("direction added to an SDP without one: %v %+v", err, s)
	}
	if got := refreshAnswer(local, []byte("garbage")); !bytes.Equal(got, local) {
		t.Fatal("an unreadable offer changed the answer")
	}
}

// FuzzRefreshAnswer feeds re-offers from the network to the code that
// builds the answer: it never panics and always answers with a readable
// SDP (the phone's own, maybe with another direction).
func FuzzRefreshAnswer(f *testing.F) {
	local := []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n")
	f.Add([]byte("v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendonly\r\n"))
	f.Add([]byte("v=0\r\nm=audio 0 RTP/AVP 0\r\na=inactive\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, offer []byte) {
		got := refreshAnswer(local, offer)
		if _, err := sdpneg.Parse(got); err != nil {
			t.Fatalf("answer unreadable: %v\n%q", err, got)
		}
		_ = zeroAddr(offer)
		_ = nextVersion(offer)
		_ = withDirection(offer, "sendonly")
	})
}
