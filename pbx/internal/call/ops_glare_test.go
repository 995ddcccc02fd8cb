package call_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
)

// TestOpsReinviteGlare: a re-INVITE of the PBX's own (here Join's, to a
// caller A whose dialog A started) that meets 491 is sent again after a
// random 0 to 2 s (RFC 3261 §14.1: A chose the Call-ID), with a new CSeq;
// answered then, the Join completes.
func TestOpsReinviteGlare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		joined := make(chan opResult, 1)
		r := newSetupRig(t, trustedCallers(), joinAfterAnswer(joined))
		a, b := r.ua("1000"), r.callee("1001")
		tx := r.invite(a, "7000", a.Offer(), nil)
		if res := r.final(tx); res.StatusCode != 200 {
			t.Fatalf("service answered %d", res.StatusCode)
		}
		r.ack(tx, nil)
		in := r.incoming(b, testua.Method(sip.INVITE))
		offerB, err := in.Answer()
		if err != nil {
			t.Fatal(err)
		}
		r.respond(in, offerB)

		first := r.incoming(a, testua.And(testua.Method(sip.INVITE), inDialog()))
		r.respond(first, first.NewResponse(491, "Request Pending"))
		if _, err := first.AwaitAck(r.ctx); err != nil {
			t.Fatalf("491 not ACKed: %v", err)
		}
		refused := time.Now()
		second := r.incoming(a, testua.And(testua.Method(sip.INVITE), inDialog(), testua.Not(testua.CSeq(first.Request().CSeq().SeqNo))),
			"the re-INVITE sent again after the 491")
		if d := second.Record().At.Sub(refused); d < 0 || d > 2*time.Second {
			t.Errorf("re-INVITE sent again %s after the 491, want within 0-2 s (the caller owns the Call-ID)", d)
		}
		r.answer(second)
		if _, err := in.AwaitAck(r.ctx); err != nil {
			t.Fatalf("B's 2xx never ACKed: %v", err)
		}
		if out := r.awaitOp(joined); out.err != nil || out.bridge == nil {
			t.Fatalf("Join after glare: %+v", out)
		}
		r.bye(tx.Dialog())
		r.incoming(b, testua.Method(sip.BYE))
	})
}
