package interop

import (
	"context"
	"pbxlab/internal/leakcheck"
	"testing"
	"time"

	"pbxlab/sim/phone"
)

// TestBaresipBlindTransferor: baresip (1050), called by a simulated phone
// (1051), holds it and transfers it blind to another simulated phone
// (1052) with /transfer (REFER): 1051 and 1052 hear each other, and
// baresip's call ends (the PBX's NOTIFY 200, then BYE). Once with
// baresip's hold relayed, once taken by the PBX.
func TestBaresipBlindTransferor(t *testing.T) {
	for _, mode := range []string{"relay", "pbx"} {
		t.Run(mode, func(t *testing.T) {
			leakcheck.Check(t)
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			in := startHoldPBX(t, "1050", mode)
			b := startBaresipUA(ctx, t, in, "1050")
			sims := simPhones(ctx, t, in, "1051", "1052")
			c, err := sims[0].Dial(ctx, "1050")
			if err != nil {
				t.Fatal(err)
			}
			if err := c.WaitAnswer(ctx); err != nil {
				t.Fatalf("baresip did not answer: %v\n%s", err, b.Log())
			}
			established, err := b.WaitEvent(ctx, 0, "CALL_ESTABLISHED")
			if err != nil {
				t.Fatalf("%v\n%s", err, b.Log())
			}
			if _, err := b.Command(ctx, "hold", ""); err != nil {
				t.Fatalf("%v\n%s", err, b.Log())
			}
			if err := hearsMOH(ctx, c, 10*time.Second); err != nil {
				t.Fatalf("held by baresip, 1051: %v\n%s", err, b.Log())
			}
			if _, err := b.Command(ctx, "transfer", "sip:1052@"+in.UDP.String()); err != nil {
				t.Fatalf("%v\n%s", err, b.Log())
			}
			target, err := waitIncoming(ctx, sims[1])
			if err != nil {
				t.Fatalf("the transfer target: %v\n%s", err, b.Log())
			}
			c.ExpectIdentity(sims[1].Identity()) // 1051 now talks to 1052
			actx, acancel := context.WithTimeout(ctx, 10*time.Second)
			defer acancel()
			if tw, err := phone.VerifyTwoWay(actx, c, target); err != nil || !tw.OK() {
				t.Fatalf("after baresip's transfer 1051 and 1052 do not hear each other: %+v, %v", tw, err)
			}
			if _, err := b.WaitEvent(ctx, established, "CALL_CLOSED"); err != nil {
				t.Fatalf("baresip's call did not end after the transfer: %v\n%s", err, b.Log())
			}
			if err := c.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestBaresipBlindTransferee: a simulated phone (1051) calls baresip
// (1050), holds it (taken by the PBX: baresip hears the music, no
// re-INVITE) and transfers it blind to another simulated phone (1052):
// the transfer succeeds (NOTIFY 200), and 1052 hears baresip.
func TestBaresipBlindTransferee(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	in := startHoldPBX(t, "1051", "pbx")
	b := startBaresipUA(ctx, t, in, "1050")
	sims := simPhones(ctx, t, in, "1051", "1052")
	c, err := sims[0].Dial(ctx, "1050")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatalf("baresip did not answer: %v\n%s", err, b.Log())
	}
	established, err := b.WaitEvent(ctx, 0, "CALL_ESTABLISHED")
	if err != nil {
		t.Fatalf("%v\n%s", err, b.Log())
	}
	if err := c.Hold(ctx); err != nil {
		t.Fatalf("hold: %v", err)
	}
	code, err := c.Transfer(ctx, "1052")
	if err != nil || code != 200 {
		t.Fatalf("blind transfer of baresip to 1052: %d, %v\n%s", code, err, b.Log())
	}
	target, err := waitIncoming(ctx, sims[1])
	if err != nil {
		t.Fatal(err)
	}
	if !hearsTone(ctx, t, target, baresipTone, 10*time.Second) {
		t.Fatalf("the transfer target does not hear baresip\n%s", b.Log())
	}
	if b.Count(established, "CALL_CLOSED") != 0 {
		t.Fatalf("baresip's call ended with the transfer\n%s", b.Log())
	}
	if err := target.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WaitEvent(ctx, established, "CALL_CLOSED"); err != nil {
		t.Fatalf("%v\n%s", err, b.Log())
	}
}

// TestBaresipAttendedTransferee: a simulated phone (1051) calls baresip
// (1050), holds it (taken by the PBX), calls 1052 and transfers baresip
// to it with Replaces (RFC 3891): 1052 hears baresip, and 1051's calls
// end.
func TestBaresipAttendedTransferee(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	in := startHoldPBX(t, "1051", "pbx")
	b := startBaresipUA(ctx, t, in, "1050")
	sims := simPhones(ctx, t, in, "1051", "1052")
	c, err := sims[0].Dial(ctx, "1050")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatalf("baresip did not answer: %v\n%s", err, b.Log())
	}
	established, err := b.WaitEvent(ctx, 0, "CALL_ESTABLISHED")
	if err != nil {
		t.Fatalf("%v\n%s", err, b.Log())
	}
	if err := c.Hold(ctx); err != nil {
		t.Fatalf("hold: %v", err)
	}
	consult, err := sims[0].Dial(ctx, "1052")
	if err != nil {
		t.Fatal(err)
	}
	if err := consult.WaitAnswer(ctx); err != nil {
		t.Fatal(err)
	}
	target, err := waitIncoming(ctx, sims[1])
	if err != nil {
		t.Fatal(err)
	}
	// the transferor talks to the target first (an attended transfer)
	actx, acancel := context.WithTimeout(ctx, 10*time.Second)
	defer acancel()
	if tw, err := phone.VerifyTwoWay(actx, consult, target); err != nil || !tw.OK() {
		t.Fatalf("1051 and 1052 do not hear each other before the transfer: %+v, %v", tw, err)
	}
	code, err := c.TransferTo(ctx, consult)
	if err != nil || code != 200 {
		t.Fatalf("attended transfer of baresip to 1052: %d, %v\n%s", code, err, b.Log())
	}
	if !hearsTone(ctx, t, target, baresipTone, 10*time.Second) {
		t.Fatalf("the transfer target does not hear baresip\n%s", b.Log())
	}
	for _, leg := range []*phone.Call{c, consult} {
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := leg.Wait(wctx)
		wcancel()
		if err != nil {
			t.Errorf("the transferor's call %s did not end: %v", leg.CallID(), err)
		}
	}
	if err := target.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WaitEvent(ctx, established, "CALL_CLOSED"); err != nil {
		t.Fatalf("%v\n%s", err, b.Log())
	}
}
