package call_test

import (
	"testing"
	"testing/synctest"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
)

// TestSetupLateOfferCallIsBridged: a call set up without an offer in the
// INVITE (the callee offers in its 2xx, the caller answers in its ACK) is a
// bridged call like any other: an INFO from the caller reaches the callee,
// and the callee's BYE ends the caller's leg too.
func TestSetupLateOfferCallIsBridged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSetupRig(t, trustedCallers())
		a, b := r.ua("1000"), r.callee("1001")
		tx := r.invite(a, "1001", nil, nil)
		in := r.incoming(b, testua.Method(sip.INVITE))
		acked := make(chan *sip.Request, 1)
		go func() { acked <- r.answer(in) }()
		res := r.final(tx)
		if res.StatusCode != 200 {
			t.Fatalf("caller got %d", res.StatusCode)
		}
		answer, err := a.Answer(res.Body())
		if err != nil {
			t.Fatal(err)
		}
		r.ack(tx, answer)
		if ack := <-acked; ack == nil || sdpAddr(t, ack.Body()).Addr() != a.Local().Addr() {
			t.Fatalf("callee's ACK does not carry the caller's answer")
		}
		info := tx.Dialog().NewRequest(sip.INFO)
		testua.SetBody(info, "application/dtmf-relay", []byte("Signal=1\r\nDuration=100\r\n"))
		itx, err := tx.Dialog().Start(info)
		if err != nil {
			t.Fatal(err)
		}
		if res := r.final(itx); res.StatusCode != 200 {
			t.Errorf("INFO in a late-offer call answered %d, want the callee's 200", res.StatusCode)
		}
		// testua files a request once its automatic answer is out: the
		// 200 may reach the caller first
		_ = b.Until(r.ctx, func() bool { return len(b.Incoming(testua.Method(sip.INFO))) > 0 })
		if n := len(b.Incoming(testua.Method(sip.INFO))); n != 1 {
			t.Errorf("callee got %d INFO, want 1", n)
		}
		r.bye(in.Dialog())
		r.incoming(a, testua.Method(sip.BYE))
	})
}
