package call_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
)

// silentCallee registers number with a UA that sends no provisional
// response by itself (no 100, no 180).
func (r *setupRig) silentCallee(number string) *testua.UA {
	r.t.Helper()
	u := r.ua(number, testua.WithAuto(testua.DefaultAuto&^(testua.AutoTrying|testua.AutoRinging)))
	if res, err := u.Register(r.ctx, testua.Registration{Password: "demo" + number, Expires: 3600}); err != nil || res.StatusCode != 200 {
		r.t.Fatalf("register %s: %v, %v", number, res, err)
	}
	return u
}

// TestRaceCancelBeforeProvisional (RFC 5407 §3.1.1, RFC 3261 §9.1): the
// caller CANCELs before the callee sent any provisional response. The
// caller gets 200 to its CANCEL and 487 at once; the PBX holds its own
// CANCEL until the callee's first provisional response, then sends it.
func TestRaceCancelBeforeProvisional(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSetupRig(t, trustedCallers())
		a, b := r.ua("1000"), r.silentCallee("1001")
		tx := r.invite(a, "1001", a.Offer(), nil)
		in := r.incoming(b, testua.Method(sip.INVITE))
		ctx, err := a.Start(cancelOf(tx.Request()))
		if err != nil {
			t.Fatal(err)
		}
		if res := r.final(ctx); res.StatusCode != 200 {
			t.Fatalf("CANCEL answered %d", res.StatusCode)
		}
		if res := r.final(tx); res.StatusCode != 487 {
			t.Fatalf("cancelled INVITE answered %d, want 487", res.StatusCode)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if n := len(b.Incoming(testua.Method(sip.CANCEL))); n != 0 {
			t.Fatalf("the PBX sent %d CANCEL before any provisional response (RFC 3261 §9.1)", n)
		}
		r.respond(in, in.NewResponse(180, "Ringing"))
		if _, err := in.AwaitCancel(r.ctx); err != nil {
			t.Fatalf("no CANCEL after the callee's 180: %v", err)
		}
		synctest.Wait()
		if rs := in.Responses(); len(rs) == 0 || rs[len(rs)-1].StatusCode != 487 {
			t.Errorf("callee's INVITE not answered 487 after the CANCEL: %v", rs)
		}
	})
}

// TestRaceCancelCrosses200 (RFC 5407 §3.1.2): the caller's CANCEL
// crosses the 200 the PBX sent it: the CANCEL matches a transaction that
// already has its final response (200 to the CANCEL, RFC 3261 §9.2, and
// nothing else changes); the call stands: the caller ACKs and talks, and
// its BYE ends the callee's leg.
func TestRaceCancelCrosses200(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSetupRig(t, trustedCallers())
		a, b := r.ua("1000"), r.callee("1001")
		tx := r.invite(a, "1001", a.Offer(), nil)
		in := r.incoming(b, testua.Method(sip.INVITE))
		ok, err := in.Answer()
		if err != nil {
			t.Fatal(err)
		}
		acked := make(chan error, 1)
		go func() {
			_, err := in.RespondUntilAck(r.ctx, ok)
			acked <- err
		}()
		if res := r.final(tx); res.StatusCode != 200 {
			t.Fatalf("call answered %d", res.StatusCode)
		}
		// the CANCEL the caller sent before it saw the 200
		ctx, err := a.Start(cancelOf(tx.Request()))
		if err != nil {
			t.Fatal(err)
		}
		if res := r.final(ctx); res.StatusCode != 200 && res.StatusCode != 481 {
			t.Fatalf("CANCEL after the 200 answered %d, want 200 (or 481)", res.StatusCode)
		}
		r.ack(tx, nil)
		if err := <-acked; err != nil {
			t.Fatalf("callee's 200 not ACKed: %v", err)
		}
		synctest.Wait()
		if n := len(b.Incoming(testua.Method(sip.CANCEL))); n != 0 {
			t.Errorf("the callee got %d CANCEL for an answered call", n)
		}
		if n := len(b.Incoming(testua.Method(sip.BYE))); n != 0 {
			t.Fatalf("the crossing CANCEL ended the call (%d BYE to the callee)", n)
		}
		r.bye(tx.Dialog())
		r.incoming(b, testua.Method(sip.BYE))
	})
}

// TestRaceByeCrossesReInvite (RFC 5407 §3.3): the sender of a re-INVITE
// hangs up before the far side answered it. The sender's BYE gets 200 and
// its re-INVITE 487; the far side gets a BYE; the far side's 200 to the
// re-INVITE, arriving after that, is still ACKed (and its dialog is not
// revived).
func TestRaceByeCrossesReInvite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newDlgEnv(t)
		c := e.establish(dlgSDP("offer-1"), nil)
		snd, far := c.sides("caller")
		re := snd.d.NewRequest(sip.INVITE)
		testua.SetBody(re, "application/sdp", dlgSDP("reoffer"))
		tx := dlgStart(t, snd, re)
		in := dlgAwait(t, far.ua, testua.And(testua.Method(sip.INVITE), dlgInDialog()))

		bye, err := snd.d.Bye(t.Context())
		if err != nil || bye.StatusCode != 200 {
			t.Fatalf("BYE crossing the re-INVITE: %v, %v", bye, err)
		}
		if res := dlgFinal(t, tx); res.StatusCode != 487 {
			t.Errorf("re-INVITE answered %d after the sender's BYE, want 487", res.StatusCode)
		}
		dlgAwait(t, far.ua, testua.Method(sip.BYE))
		ok := in.NewResponse(200, "OK")
		testua.SetBody(ok, "application/sdp", dlgSDP("reanswer"))
		dlgRespond(t, in, ok)
		dlgAwaitAck(t, in)
	})
}
