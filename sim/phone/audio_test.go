package phone

import (
	"errors"
	"testing"
	"time"
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

// One-way audio without muting: the callee advertises a port nobody reads,
// so the caller's RTP is lost; the callee's own audio still gets through.
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
	if got := p.mediaConfig(); got != (mediaConfig{identity: IdentityFor("77"), mute: true, echo: true, deadPort: true}) {
		t.Fatalf("media config %+v", got)
	}
	p.SetIdentity(Identity{})
	if p.Identity() != IdentityFor("5001") {
		t.Fatalf("zero identity did not restore the number's: %s", p.Identity())
	}
}
