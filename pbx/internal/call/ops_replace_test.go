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

// TestOpsReplace: the core of a transfer. A and B talk; A's REFER reaches
// a service (Policy.InDialog) that calls C without an offer and, when C
// answers, Replaces A's leg with C's: A gets BYE, B is re-INVITEd with C's
// offer, C's ACK carries B's answer, and B and C are bridged (B's next
// re-INVITE reaches C, and B's BYE ends C).
func TestOpsReplace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		replaced := make(chan opResult, 1)
		r := newSetupRig(t, trustedCallers(), withCallPolicy(func(base call.Policy) call.Policy {
			return referHook(base, func(ctx context.Context, in call.InDialogRequest) {
				c, old := in.Call, in.Leg
				targets, err := targetsOf(ctx, base, "1002")
				if err != nil || len(targets) == 0 {
					replaced <- opResult{err: err}
					return
				}
				_, err = c.Originate(targets[0], nil, nil, func(l *call.Leg, res *sip.Response) {
					if res.IsSuccess() {
						c.Replace(old, l, func(b *call.Bridge, err error) { replaced <- opResult{b, err} })
					}
				})
				if err != nil {
					replaced <- opResult{err: err}
				}
			})
		}))
		a, b, cc := r.ua("1000"), r.callee("1001"), r.callee("1002")
		tx, inB := r.establish(a, b, "1001")

		refer := tx.Dialog().NewRequest(sip.REFER)
		refer.AppendHeader(sip.NewHeader("Refer-To", "<sip:1002@"+r.h.Addr.String()+">"))
		rtx, err := tx.Dialog().Start(refer)
		if err != nil {
			t.Fatal(err)
		}
		if res := r.final(rtx); res.StatusCode != 202 {
			t.Fatalf("REFER: %d", res.StatusCode)
		}
		inC := r.incoming(cc, testua.Method(sip.INVITE))
		if len(inC.Request().Body()) != 0 {
			t.Fatalf("C's INVITE carries an offer: %q", inC.Request().Body())
		}
		offerC, err := inC.Answer()
		if err != nil {
			t.Fatal(err)
		}
		r.respond(inC, offerC)

		bye := r.incoming(a, testua.Method(sip.BYE), "BYE to the replaced caller")
		if toTag(bye.Request()) != tx.Dialog().LocalTag() {
			t.Errorf("BYE is not in A's dialog")
		}
		toB := r.incoming(b, testua.And(testua.Method(sip.INVITE), inDialog()))
		if !bytes.Equal(toB.Request().Body(), offerC.Body()) {
			t.Errorf("B's re-INVITE carries %q, want C's offer", toB.Request().Body())
		}
		mustSDPAt(t, "B's re-INVITE", toB.Request().Body(), cc.Local().Addr())
		r.answer(toB)
		ackC, err := inC.AwaitAck(r.ctx)
		if err != nil {
			t.Fatalf("C's 2xx never ACKed: %v", err)
		}
		mustSDPAt(t, "C's ACK", ackC.Request().Body(), b.Local().Addr())
		if out := r.awaitOp(replaced); out.err != nil || out.bridge == nil {
			t.Fatalf("Replace: %+v", out)
		}

		// B and C are bridged: B's re-INVITE reaches C, C's answer reaches B
		reinv := inB.Dialog().NewRequest(sip.INVITE)
		newOffer := b.Offer()
		testua.SetBody(reinv, "application/sdp", newOffer)
		btx, err := inB.Dialog().Start(reinv)
		if err != nil {
			t.Fatal(err)
		}
		atC := r.incoming(cc, testua.And(testua.Method(sip.INVITE), inDialog()))
		if !bytes.Equal(atC.Request().Body(), newOffer) || toTag(atC.Request()) != inC.Tag() {
			t.Errorf("C got re-INVITE %q in dialog %q, want B's offer in %q", atC.Request().Body(), toTag(atC.Request()), inC.Tag())
		}
		answerC, err := atC.Answer()
		if err != nil {
			t.Fatal(err)
		}
		go func() { _, _ = atC.RespondUntilAck(r.ctx, answerC) }()
		res := r.final(btx)
		if res.StatusCode != 200 || !bytes.Equal(res.Body(), answerC.Body()) {
			t.Errorf("B's re-INVITE: %d %q, want 200 with C's answer", res.StatusCode, res.Body())
		}
		r.ack(btx, nil)
		synctest.Wait()
		if n := len(a.Incoming(testua.Method(sip.INVITE))); n != 0 {
			t.Errorf("A, replaced, got %d re-INVITEs", n)
		}
		r.bye(inB.Dialog())
		r.incoming(cc, testua.Method(sip.BYE))
	})
}
