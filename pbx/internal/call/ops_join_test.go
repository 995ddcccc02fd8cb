package call_test

import (
	"bytes"
	"context"
	"testing"
	"testing/synctest"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/internal/call"
)

// TestOpsJoin: third-party call control (RFC 3725) with Join.
func TestOpsJoin(t *testing.T) {
	// A calls a service number; the service answers A itself (its own
	// media, as an IVR would), calls B without an offer, and when B's 2xx
	// brings B's offer, Joins B with A: B's offer goes to A in a re-INVITE,
	// A's answer returns to B in the ACK. A and B end up with each other's
	// SDP and are bridged. B answers before A's ACK is in: the re-INVITE
	// waits for it (RFC 3261 §14.1: no new INVITE on a dialog while one is
	// in progress).
	t.Run("pending offer of an originated leg", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			joined := make(chan opResult, 1)
			r := newSetupRig(t, trustedCallers(), joinAfterAnswer(joined))
			a, b := r.ua("1000"), r.callee("1001")
			tx := r.invite(a, "7000", a.Offer(), nil)
			res := r.final(tx)
			if res.StatusCode != 200 {
				t.Fatalf("service answered %d", res.StatusCode)
			}
			mustSDPAt(t, "the service's answer", res.Body(), serviceMedia.Addr())
			in := r.incoming(b, testua.Method(sip.INVITE))
			if len(in.Request().Body()) != 0 {
				t.Fatalf("B's INVITE carries an offer: %q", in.Request().Body())
			}
			offerB, err := in.Answer()
			if err != nil {
				t.Fatal(err)
			}
			r.respond(in, offerB)
			synctest.Wait()
			if n := len(a.Incoming(testua.Method(sip.INVITE))); n != 0 {
				t.Errorf("A got %d re-INVITEs before it ACKed the 200", n)
			}
			r.ack(tx, nil) // (a Fatal before it would leave the 200 waiting through the PBX's shutdown)

			reinvite := r.incoming(a, testua.And(testua.Method(sip.INVITE), inDialog()))
			if acks := a.Sent(testua.Method(sip.ACK)); len(acks) != 1 || reinvite.Record().At.Before(acks[0].At) {
				t.Errorf("re-INVITE at %v, before A's ACK", reinvite.Record().At)
			}
			if !bytes.Equal(reinvite.Request().Body(), offerB.Body()) {
				t.Errorf("A's re-INVITE carries %q, want B's offer", reinvite.Request().Body())
			}
			mustSDPAt(t, "A's re-INVITE", reinvite.Request().Body(), b.Local().Addr())
			if fromTag, _ := reinvite.Request().From().Params.Get("tag"); fromTag != toTag(res) || reinvite.Request().CallID().Value() != tx.Request().CallID().Value() {
				t.Errorf("re-INVITE is not in A's dialog")
			}
			r.answer(reinvite) // A's answer, and the PBX's ACK
			ackB, err := in.AwaitAck(r.ctx)
			if err != nil {
				t.Fatalf("B's 2xx never ACKed: %v", err)
			}
			mustSDPAt(t, "B's ACK", ackB.Request().Body(), a.Local().Addr())
			if out := r.awaitOp(joined); out.err != nil || out.bridge == nil || len(out.bridge.Legs()) != 2 {
				t.Fatalf("Join: %+v", out)
			}
			// bridged: A's BYE ends B
			r.bye(tx.Dialog())
			r.incoming(b, testua.Method(sip.BYE))
		})
	})

	// A and B are talking; a service Joins them again (e.g. to move them to
	// a new seam): A, whose dialog has no pending offer, gets a re-INVITE
	// without SDP; its offer goes to B in a re-INVITE, and B's answer
	// returns to A in the ACK.
	t.Run("offerless re-INVITE", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			joined := make(chan opResult, 1)
			r := newSetupRig(t, trustedCallers(), withCallPolicy(func(base call.Policy) call.Policy {
				return referHook(base, func(ctx context.Context, in call.InDialogRequest) {
					in.Call.Join(in.Leg, otherLeg(in.Call, in.Leg), func(b *call.Bridge, err error) { joined <- opResult{b, err} })
				})
			}))
			a, b := r.ua("1000"), r.callee("1001")
			tx, in := r.establish(a, b, "1001")
			rtx, err := tx.Dialog().Start(tx.Dialog().NewRequest(sip.REFER))
			if err != nil {
				t.Fatal(err)
			}
			if res := r.final(rtx); res.StatusCode != 202 {
				t.Fatalf("REFER: %d", res.StatusCode)
			}
			toA := r.incoming(a, testua.And(testua.Method(sip.INVITE), inDialog()))
			if len(toA.Request().Body()) != 0 {
				t.Fatalf("A's re-INVITE carries SDP: %q", toA.Request().Body())
			}
			offerA, err := toA.Answer() // an offer: the re-INVITE had none
			if err != nil {
				t.Fatal(err)
			}
			r.respond(toA, offerA)
			toB := r.incoming(b, testua.And(testua.Method(sip.INVITE), inDialog()))
			if !bytes.Equal(toB.Request().Body(), offerA.Body()) {
				t.Errorf("B's re-INVITE carries %q, want A's offer", toB.Request().Body())
			}
			if toTag(toB.Request()) != in.Tag() {
				t.Errorf("B's re-INVITE is not in B's dialog")
			}
			r.answer(toB)
			ackA, err := toA.AwaitAck(r.ctx)
			if err != nil {
				t.Fatal(err)
			}
			mustSDPAt(t, "A's ACK", ackA.Request().Body(), b.Local().Addr())
			if out := r.awaitOp(joined); out.err != nil || out.bridge == nil {
				t.Fatalf("Join: %+v", out)
			}
			r.bye(in.Dialog())
			r.incoming(a, testua.Method(sip.BYE))
		})
	})
}
