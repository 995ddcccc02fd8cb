package phone

import (
	"errors"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"pbxlab/internal/sdpneg"
)

// negativeCall dials callee (configured by cfg) from a fresh caller 5000
// and returns both legs once answered.
func negativeCall(t *testing.T, cfg PhoneConfig) (out, in *Call) {
	t.Helper()
	ctx := testCtx(t, 15*time.Second)
	a := newTestPhone(t, newTestAgent(t, Config{}), PhoneConfig{Number: "5000"})
	inc := make(chan *Call, 1)
	cfg.OnIncoming = func(c *Call) { inc <- c }
	b := newTestPhone(t, newTestAgent(t, Config{}), cfg)
	out, in = answered(t, ctx, a, b, inc)
	t.Cleanup(func() { _ = out.Hangup(testCtx(t, 5*time.Second)) })
	return out, in
}

// mustNotHear runs the check on leg for a quiet while and wants it to fail
// with ErrNotHeard.
func mustNotHear(t *testing.T, leg *Call) AudioResult {
	t.Helper()
	res, err := leg.TwoWayAudio(testCtx(t, 1500*time.Millisecond))
	if err == nil || res.Heard {
		t.Fatalf("audio check passed on a negative control: %+v", res)
	}
	if !errors.Is(err, ErrNotHeard) {
		t.Fatalf("error %v is not ErrNotHeard", err)
	}
	return res
}

func mustHear(t *testing.T, leg *Call, id Identity) AudioResult {
	t.Helper()
	res, err := leg.Listen(testCtx(t, 5*time.Second), id)
	if err != nil {
		t.Fatalf("%s not heard: %v %+v", id, err, res)
	}
	return res
}

// A callee that sends another number's identity is what a misrouted call
// sounds like: the caller's check must fail although audio arrives, for a
// neighbour's number and for one that shares a tone with the right one.
// Catches a check that counts any non-silent audio as heard.
func TestWrongIdentityFailsAudioCheck(t *testing.T) {
	for _, wrong := range []string{"5002", "5024" /* 5001+23: same low tone */, "5025" /* 5001+24: same high tone */} {
		t.Run(wrong, func(t *testing.T) {
			checkLeaks(t)
			want, got := IdentityFor("5001"), IdentityFor(wrong)
			if got == want {
				t.Fatalf("test premise: %s and 5001 share identity %s", wrong, got)
			}
			out, in := negativeCall(t, PhoneConfig{Number: "5001", Identity: got})
			res := mustNotHear(t, out)
			if res.Expected != want || res.Stats.PacketsIn == 0 {
				t.Fatalf("caller listened for %s with %d packets in; want %s and audio", res.Expected, res.Stats.PacketsIn, want)
			}
			mustHear(t, out, got) // the audio that arrived is the wrong party's
			if _, err := in.TwoWayAudio(testCtx(t, 5*time.Second)); err != nil {
				t.Fatalf("the callee should still hear the caller: %v", err)
			}
		})
	}
}

// A callee that loops back what it receives: the caller gets its own
// identity, which the check must refuse, while the callee hears the caller.
func TestEchoFailsAudioCheck(t *testing.T) {
	checkLeaks(t)
	out, in := negativeCall(t, PhoneConfig{Number: "5001", Echo: true})
	if _, err := in.TwoWayAudio(testCtx(t, 5*time.Second)); err != nil {
		t.Fatalf("the echoing callee should hear the caller: %v", err)
	}
	res := mustNotHear(t, out)
	if res.Stats.PacketsIn == 0 {
		t.Fatalf("no echo arrived: %+v", res)
	}
	mustHear(t, out, out.Phone().Identity()) // what arrives is the caller's own audio
}

// One-way audio without muting: the callee's media socket is never read, so
// the caller's RTP is lost; the callee's own audio still gets through.
func TestDeadMediaPortFailsAudioCheck(t *testing.T) {
	checkLeaks(t)
	out, in := negativeCall(t, PhoneConfig{Number: "5001", DeadMediaPort: true})
	if _, err := out.TwoWayAudio(testCtx(t, 5*time.Second)); err != nil {
		t.Fatalf("the caller should hear the callee: %v", err)
	}
	res := mustNotHear(t, in)
	if res.Stats.PacketsIn != 0 || res.Detail.Reason != "no audio" {
		t.Fatalf("the callee received audio through a dead port: %+v", res)
	}
	if st := out.media.stream.Stats(); st.PacketsOut == 0 {
		t.Fatalf("the caller sent nothing: %+v", st)
	}
}

// Two phones with one identity: the check cannot tell the far end from an
// echo and must say so instead of passing.
func TestSameIdentityIsRefused(t *testing.T) {
	checkLeaks(t)
	_, in := negativeCall(t, PhoneConfig{Number: "5001", Identity: IdentityFor("5000")})
	if _, err := in.TwoWayAudio(testCtx(t, 5*time.Second)); !errors.Is(err, ErrSameIdentity) {
		t.Fatalf("same identity on both legs: %v, want ErrSameIdentity", err)
	}
}

func TestSetters(t *testing.T) {
	checkLeaks(t)
	p := newTestPhone(t, newTestAgent(t, Config{}), PhoneConfig{Number: "5001"})
	p.SetIdentity(IdentityFor("77"))
	p.SetEcho(true)
	p.SetDeadMediaPort(true)
	p.SetMute(true)
	p.SetCodecs(sdpneg.PCMA())
	p.SetSDPAddr(netip.MustParseAddr("192.168.1.9"))
	want := mediaConfig{identity: IdentityFor("77"), mute: true, echo: true, deadPort: true,
		codecs: []sdpneg.Codec{sdpneg.PCMA()}, sdpAddr: netip.MustParseAddr("192.168.1.9"), number: "5001"}
	if got := p.mediaConfig(); !reflect.DeepEqual(got, want) {
		t.Fatalf("media config %+v", got)
	}
	p.SetCodecs()
	if got := p.mediaConfig().codecs; !reflect.DeepEqual(got, sdpneg.DefaultCodecs()) {
		t.Fatalf("SetCodecs() left %v, want the Agent's", got)
	}
	p.SetIdentity(Identity{})
	if p.Identity() != IdentityFor("5001") {
		t.Fatalf("zero identity did not restore the number's: %s", p.Identity())
	}
}

// A phone of A-law only and one of µ-law first agree on A-law (the
// offerer's order among common codecs) and hear each other.
func TestCodecPreference(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 15*time.Second)
	a := newTestPhone(t, newTestAgent(t, Config{}), PhoneConfig{Number: "5000", Codecs: []sdpneg.Codec{sdpneg.PCMA()}})
	inc := make(chan *Call, 1)
	b := newTestPhone(t, newTestAgent(t, Config{}), PhoneConfig{Number: "5001", OnIncoming: func(c *Call) { inc <- c }})
	out, in := answered(t, ctx, a, b, inc)
	t.Cleanup(func() { _ = out.Hangup(testCtx(t, 5*time.Second)) })
	if _, err := VerifyTwoWay(ctx, out, in); err != nil {
		t.Fatal(err)
	}
	if c := in.media.stream.Codec(); c.Name != "PCMA" {
		t.Fatalf("callee sends %s, want PCMA", c)
	}
	if s, err := sdpneg.Parse(out.localSDP); err != nil || len(s.Codecs) != 1 || s.Codecs[0].Name != "PCMA" {
		t.Fatalf("caller offered %v (%v), want PCMA only", s, err)
	}
}

// A phone with a G.722-only codec list refuses a G.711 offer with 488.
func TestNoCommonCodec488(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 15*time.Second)
	a := newTestPhone(t, newTestAgent(t, Config{}), PhoneConfig{Number: "5000"})
	b := newTestPhone(t, newTestAgent(t, Config{}), PhoneConfig{Number: "5001", Codecs: []sdpneg.Codec{{PT: 9, Name: "G722", Rate: 8000}}})
	c, err := a.DialURI(ctx, b.Contact())
	if err != nil {
		t.Fatal(err)
	}
	if end, err := c.Wait(ctx); err != nil || end.Code != 488 {
		t.Fatalf("call ended with %+v, %v; want 488", end, err)
	}
}

// SDPAddr puts another IP in the SDP; the RTP still leaves from the real
// one (so the far end, sending to the SDP address, is not heard).
func TestSDPAddr(t *testing.T) {
	checkLeaks(t)
	lie := netip.MustParseAddr("127.0.0.2")
	out, in := negativeCall(t, PhoneConfig{Number: "5001", SDPAddr: lie})
	s, err := sdpneg.Parse(in.localSDP)
	if err != nil || s.Addr.Addr() != lie {
		t.Fatalf("callee's SDP names %v (%v), want %s", s, err, lie)
	}
	if _, err := out.TwoWayAudio(testCtx(t, 5*time.Second)); err != nil {
		t.Fatalf("the caller should hear the callee: %v", err)
	}
	mustNotHear(t, in)
}

// StopSending silences a leg for good; it still receives.
func TestStopSending(t *testing.T) {
	checkLeaks(t)
	out, in := negativeCall(t, PhoneConfig{Number: "5001"})
	mustHear(t, out, in.Phone().Identity())
	in.StopSending()
	n := in.media.stream.Stats().PacketsOut
	time.Sleep(100 * time.Millisecond)
	if m := in.media.stream.Stats().PacketsOut; m != n {
		t.Fatalf("%d packets sent after StopSending", m-n)
	}
	mustHear(t, in, out.Phone().Identity())
}
