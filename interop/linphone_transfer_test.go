package interop

import (
	"context"
	"pbxlab/internal/leakcheck"
	"testing"
	"time"

	"pbxlab/sim/phone"
)

// TestLinphoneAttendedTransferor: the attended transferor is a softphone
// nobody here wrote. Debian 12's baresip (1.0.0) has no attended
// transfer (no command for it, no Replaces), so linphonec (Debian's
// linphone-cli) does it: linphone (1055) calls a simulated phone (1056),
// holds it ("pause": its hold is taken by the PBX, so 1056 hears the music
// on hold and is not re-INVITEd), calls another (1057), and transfers the
// first to the second ("transfer 1 --to-call 2": REFER with Replaces,
// RFC 3891). 1056 and 1057 then hear each other and linphone's calls end.
func TestLinphoneAttendedTransferor(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	in := startHoldPBX(t, "1055", "pbx")
	lp := startLinphone(t, linphoneConfig{Number: "1055", Password: "pw1055", Proxy: in.UDP.String(), Transport: "udp"})
	waitRegistered(ctx, t, in, "1055", lp)
	sims := simPhones(ctx, t, in, "1056", "1057")

	from := lp.Lines()
	lp.Command("call sip:1056@127.0.0.1")
	held, err := waitIncoming(ctx, sims[0])
	if err != nil {
		t.Fatalf("%v\n%s", err, lp.Output())
	}
	if _, err := lp.Wait(ctx, from, "Call 1 with sip:1056@127.0.0.1 connected"); err != nil {
		t.Fatalf("%v\n%s", err, lp.Output())
	}
	held.ExpectTone(linphoneTone)
	actx, acancel := context.WithTimeout(ctx, 15*time.Second)
	defer acancel()
	if _, err := held.TwoWayAudio(actx); err != nil {
		t.Fatalf("1056 does not hear linphone: %v\n%s", err, lp.Output())
	}

	from = lp.Lines()
	lp.Command("pause 1")
	if _, err := lp.Wait(ctx, from, "is now paused"); err != nil {
		t.Fatalf("%v\n%s", err, lp.Output())
	}
	if err := hearsMOH(ctx, held, 10*time.Second); err != nil {
		t.Fatalf("held by linphone, 1056: %v\n%s", err, lp.Output())
	}
	if n := held.ReinvitesReceived(); n != 0 {
		t.Errorf("linphone's hold is taken by the PBX, yet 1056 was re-INVITEd %d times", n)
	}

	from = lp.Lines()
	lp.Command("call sip:1057@127.0.0.1")
	target, err := waitIncoming(ctx, sims[1])
	if err != nil {
		t.Fatalf("%v\n%s", err, lp.Output())
	}
	if _, err := lp.Wait(ctx, from, "Call 2 with sip:1057@127.0.0.1 connected"); err != nil {
		t.Fatalf("%v\n%s", err, lp.Output())
	}
	target.ExpectTone(linphoneTone)
	actx2, acancel2 := context.WithTimeout(ctx, 15*time.Second)
	defer acancel2()
	if _, err := target.TwoWayAudio(actx2); err != nil {
		t.Fatalf("1057 does not hear linphone: %v\n%s", err, lp.Output())
	}

	from = lp.Lines()
	lp.Command("transfer 1 --to-call 2")
	if _, err := lp.Wait(ctx, from, "Performing attended transfer"); err != nil {
		t.Fatalf("%v\n%s", err, lp.Output())
	}
	held.ExpectIdentity(sims[1].Identity())
	target.ExpectIdentity(sims[0].Identity())
	vctx, vcancel := context.WithTimeout(ctx, 15*time.Second)
	defer vcancel()
	if tw, err := phone.VerifyTwoWay(vctx, held, target); err != nil || !tw.OK() {
		t.Fatalf("after linphone's attended transfer 1056 and 1057 do not hear each other: %+v, %v\n%s", tw, err, lp.Output())
	}
	for _, line := range []string{"of call 1 has been transfered", "Call 1 with sip:1056@127.0.0.1 ended", "Call 2 with sip:1057@127.0.0.1 ended"} {
		if _, err := lp.Wait(ctx, from, line); err != nil {
			t.Fatalf("%v\n%s", err, lp.Output())
		}
	}
	if err := held.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	lp.Quit(ctx)
}
