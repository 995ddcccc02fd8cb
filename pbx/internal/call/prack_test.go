package call_test

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/rel100"
	"pbxlab/internal/testua"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest/vnet"
)

// TestPrackCallerRequires: a caller that requires 100rel gets every
// provisional but 100 reliably, one at a time (the callee's 180 first, its
// 183 with SDP once that is PRACKed), with RSeq counting up by one; each
// PRACK gets 200; the 183 is retransmitted at T1, 2T1, 4T1 ... until its
// PRACK; the callee's INVITE offers Supported: 100rel; the 200 follows.
func TestPrackCallerRequires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newDlgEnv(t)
		c := e.relInvite("Require", dlgSDP("offer"))
		if !rel100.Has(c.in.Request(), "Supported") {
			t.Errorf("callee's INVITE Supported %q, want 100rel", headerValues(c.in.Request(), "Supported"))
		}
		r180, n180 := relAwait(t, e.caller, 180, 0) // the callee's automatic 180, made reliable
		dlgRespond(t, c.in, relResponse(c.in, 183, 0, dlgSDP("early-answer")))
		synctest.Wait()
		if got := e.caller.Received(testua.Status(183)); len(got) != 0 {
			t.Fatalf("183 sent before the 180's PRACK: %s", got[0].Raw)
		}
		time.Sleep(2 * time.Second) // the caller PRACKs late: the 180 is retransmitted meanwhile
		if res := relPrack(t, c, r180, "", nil); res.StatusCode != 200 {
			t.Fatalf("PRACK of the 180 answered %d", res.StatusCode)
		}
		r183, n183 := relAwait(t, e.caller, 183, 0)
		if n183 != n180+1 {
			t.Errorf("183 RSeq %d after 180 RSeq %d, want one more", n183, n180)
		}
		dlgBodyIs(t, "reliable 183", r183, "application/sdp", dlgSDP("early-answer"))
		t0 := e.caller.Received(testua.Status(183))[0].At
		time.Sleep(5 * time.Second)
		if res := relPrack(t, c, r183, "", nil); res.StatusCode != 200 {
			t.Fatalf("PRACK of the 183 answered %d", res.StatusCode)
		}
		time.Sleep(30 * time.Second)
		got := dlgSince(t0, e.caller.Received(testua.Status(183)))
		if want := []time.Duration{0, dlgT1, 3 * dlgT1, 7 * dlgT1}; !slices.Equal(got, want) {
			t.Errorf("183 sent at %v, want %v (T1 doubling until the PRACK at 5 s)", got, want)
		}
		if n := len(e.caller.Received(testua.Status(180))); n != 3 {
			t.Errorf("180 sent %d times in the 2 s before its PRACK, want 3 (0, T1, 3T1)", n)
		}
		ok := c.in.NewResponse(200, "OK")
		testua.SetBody(ok, "application/sdp", dlgSDP("early-answer"))
		dlgRespond(t, c.in, ok)
		if res := dlgFinal(t, c.inv); res.StatusCode != 200 {
			t.Fatalf("INVITE answered %d", res.StatusCode)
		}
		if _, err := c.inv.Ack(nil); err != nil {
			t.Fatal(err)
		}
		dlgAwaitAck(t, c.in)
	})
}

// TestPrack2xxWaitsForPrack: the callee answers while its 183 with SDP
// is not PRACKed yet; the caller (Supported: 100rel) gets the 183 reliably and its 200
// only once it PRACKed the 183 (RFC 3262 §3); a 180 without SDP reaches it
// unreliably.
func TestPrack2xxWaitsForPrack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newDlgEnv(t)
		c := e.relInvite("Supported", dlgSDP("offer"))
		synctest.Wait()
		if r := e.caller.Received(testua.Status(180)); len(r) != 1 || len(r[0].Msg.GetHeaders("RSeq")) != 0 {
			t.Fatalf("180 without SDP to a caller that only supports 100rel: %d, want 1 unreliable", len(r))
		}
		dlgRespond(t, c.in, relResponse(c.in, 183, 0, dlgSDP("answer")))
		r183, _ := relAwait(t, e.caller, 183, 0)
		ok := c.in.NewResponse(200, "OK")
		testua.SetBody(ok, "application/sdp", dlgSDP("answer"))
		dlgRespond(t, c.in, ok)
		dlgAwaitAck(t, c.in) // the PBX took the callee's answer
		time.Sleep(time.Second)
		if got := e.caller.Received(testua.Status(200)); len(got) != 0 {
			t.Fatalf("200 before the 183's PRACK")
		}
		prackAt := time.Now()
		if res := relPrack(t, c, r183, "", nil); res.StatusCode != 200 {
			t.Fatalf("PRACK answered %d", res.StatusCode)
		}
		res := dlgFinal(t, c.inv)
		if res.StatusCode != 200 {
			t.Fatalf("INVITE answered %d", res.StatusCode)
		}
		if at := e.caller.Received(testua.And(testua.Status(200), testua.CSeqMethod(sip.INVITE)))[0].At; at.Before(prackAt) {
			t.Errorf("200 at %v, before the PRACK at %v", at, prackAt)
		}
		if _, err := c.inv.Ack(nil); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPrackNeverComes: a reliable 183 never PRACKed is sent at 0, 0.5,
// 1.5, 3.5, 7.5, 15.5 and 31.5 s (T1 doubling); at 64*T1 the caller's
// INVITE gets 500 (RFC 3262 §3), the callee is cancelled and the CDR says
// why.
func TestPrackNeverComes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newDlgEnv(t)
		c := e.relInvite("Supported", dlgSDP("offer"))
		dlgRespond(t, c.in, relResponse(c.in, 183, 0, dlgSDP("answer")))
		res := dlgFinal(t, c.inv)
		if res.StatusCode != 500 {
			t.Fatalf("INVITE answered %d, want 500", res.StatusCode)
		}
		recs := e.caller.Received(testua.Status(183))
		t0 := recs[0].At
		var want []time.Duration
		for at, iv := time.Duration(0), dlgT1; at < 64*dlgT1; at, iv = at+iv, 2*iv {
			want = append(want, at)
		}
		if got := dlgSince(t0, recs); !slices.Equal(got, want) {
			t.Errorf("183 sent at %v, want %v", got, want)
		}
		if at := e.caller.Received(testua.Status(500))[0].At.Sub(t0); at != 64*dlgT1 {
			t.Errorf("500 at %v, want 64*T1", at)
		}
		ctx, cancel := dlgWaitCtx(t)
		defer cancel()
		if _, err := e.callee.Await(ctx, testua.Method(sip.CANCEL)); err != nil {
			t.Fatalf("callee not cancelled: %v", err)
		}
		cdrs := dlgCDRs(t, e.h)
		if len(cdrs) != 1 || cdrs[0].Cause != 500 || cdrs[0].Reason != "no PRACK" || cdrs[0].Disposition != pbx.Failed {
			t.Errorf("CDRs %+v, want one FAILED 500 no PRACK", cdrs)
		}
	})
}

// TestPrackBadRAck: a PRACK whose RAck names another RSeq, another CSeq
// number or another method gets 481 and leaves the 183 unacknowledged (it
// is still retransmitted); the right one gets 200; the same again 481.
func TestPrackBadRAck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newDlgEnv(t)
		c := e.relInvite("Supported", dlgSDP("offer"))
		dlgRespond(t, c.in, relResponse(c.in, 183, 0, dlgSDP("answer")))
		r183, n := relAwait(t, e.caller, 183, 0)
		cseq := r183.CSeq().SeqNo
		for _, rack := range []string{
			rel100.RAck{RSeq: n + 1, CSeq: cseq, Method: sip.INVITE}.String(),
			rel100.RAck{RSeq: n, CSeq: cseq + 1, Method: sip.INVITE}.String(),
			rel100.RAck{RSeq: n, CSeq: cseq, Method: sip.UPDATE}.String(),
		} {
			if res := relPrack(t, c, r183, rack, nil); res.StatusCode != 481 {
				t.Errorf("PRACK with RAck %q answered %d, want 481", rack, res.StatusCode)
			}
		}
		if res := relPrack(t, c, r183, "x y", nil); res.StatusCode != 400 {
			t.Errorf("PRACK with a malformed RAck answered %d, want 400", res.StatusCode)
		}
		before := len(e.caller.Received(testua.Status(183)))
		time.Sleep(4 * time.Second)
		if after := len(e.caller.Received(testua.Status(183))); after <= before {
			t.Errorf("183 not retransmitted after the bad PRACKs (%d then %d)", before, after)
		}
		if res := relPrack(t, c, r183, "", nil); res.StatusCode != 200 {
			t.Errorf("right PRACK answered %d", res.StatusCode)
		}
		if res := relPrack(t, c, r183, "", nil); res.StatusCode != 481 {
			t.Errorf("second PRACK of the same 183 answered %d, want 481", res.StatusCode)
		}
		ok := c.in.NewResponse(200, "OK")
		testua.SetBody(ok, "application/sdp", dlgSDP("answer"))
		dlgRespond(t, c.in, ok)
		if res := dlgFinal(t, c.inv); res.StatusCode != 200 {
			t.Fatalf("INVITE answered %d", res.StatusCode)
		}
		if _, err := c.inv.Ack(nil); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPrackCalleeReliable: the callee sends its 183 reliably (RSeq 5): the
// PBX PRACKs it in the early dialog (RAck 5 1 INVITE), the caller (no
// 100rel) gets it once although the callee retransmits it; a 183 that skips
// RSeq 6 is dropped unPRACKed, RSeq 6 is PRACKed.
func TestPrackCalleeReliable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newDlgEnv(t)
		c := e.relInvite("", dlgSDP("offer"))
		early := relResponse(c.in, 183, 5, dlgSDP("answer"))
		dlgRespond(t, c.in, early)
		pr := dlgAwait(t, e.callee, testua.Method(sip.PRACK))
		if got := headerValues(pr.Request(), "RAck"); len(got) != 1 || got[0] != "5 1 INVITE" {
			t.Errorf("PRACK RAck %q, want 5 1 INVITE", got)
		}
		if tag := toTag(pr.Request()); tag != c.in.Tag() {
			t.Errorf("PRACK To tag %q, want the early dialog's %q", tag, c.in.Tag())
		}
		dlgRespond(t, pr, pr.NewResponse(200, "OK"))
		dlgRespond(t, c.in, early) // a retransmission
		dlgRespond(t, c.in, relResponse(c.in, 183, 7, nil))
		synctest.Wait()
		if n := len(e.callee.Received(testua.Method(sip.PRACK))); n != 1 {
			t.Errorf("%d PRACKs after a retransmission and an out-of-order 183, want 1", n)
		}
		if n := len(e.caller.Received(testua.Status(183))); n != 1 {
			t.Errorf("caller got the 183 %d times, want once", n)
		}
		dlgRespond(t, c.in, relResponse(c.in, 183, 6, nil))
		pr6 := dlgAwait(t, e.callee, testua.Method(sip.PRACK))
		if got := headerValues(pr6.Request(), "RAck"); len(got) != 1 || got[0] != "6 1 INVITE" {
			t.Errorf("second PRACK RAck %q, want 6 1 INVITE", got)
		}
		dlgRespond(t, pr6, pr6.NewResponse(200, "OK"))
		ok := c.in.NewResponse(200, "OK") // the answer was in the reliable 183 (RFC 3262 §5)
		dlgRespond(t, c.in, ok)
		res := dlgFinal(t, c.inv)
		if res.StatusCode != 200 {
			t.Fatalf("INVITE answered %d", res.StatusCode)
		}
		dlgBodyIs(t, "200 to the caller", res, "application/sdp", dlgSDP("answer"))
		if _, err := c.inv.Ack(nil); err != nil {
			t.Fatal(err)
		}
		dlgAwaitAck(t, c.in)
	})
}

// TestPrackLateOfferBothSides: no offer in the caller's INVITE; the
// callee's reliable 183 carries the offer, which the caller gets in a
// reliable 183; the caller's PRACK brings the answer, which reaches the
// callee in the PBX's PRACK (RFC 3262 §5); the callee's 200 has no SDP;
// the ACKs carry none.
func TestPrackLateOfferBothSides(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newDlgEnv(t)
		c := e.relInvite("Supported", nil)
		dlgRespond(t, c.in, relResponse(c.in, 183, 1, dlgSDP("callee-offer")))
		r183, _ := relAwait(t, e.caller, 183, 0)
		dlgBodyIs(t, "183 at the caller", r183, "application/sdp", dlgSDP("callee-offer"))
		synctest.Wait()
		if n := len(e.callee.Received(testua.Method(sip.PRACK))); n != 0 {
			t.Fatalf("callee PRACKed before the caller answered")
		}
		if res := relPrack(t, c, r183, "", dlgSDP("caller-answer")); res.StatusCode != 200 {
			t.Fatalf("caller's PRACK answered %d", res.StatusCode)
		}
		pr := dlgAwait(t, e.callee, testua.Method(sip.PRACK))
		dlgBodyIs(t, "PRACK at the callee", pr.Request(), "application/sdp", dlgSDP("caller-answer"))
		dlgRespond(t, pr, pr.NewResponse(200, "OK"))
		dlgRespond(t, c.in, c.in.NewResponse(200, "OK"))
		if res := dlgFinal(t, c.inv); res.StatusCode != 200 {
			t.Fatalf("INVITE answered %d", res.StatusCode)
		}
		if _, err := c.inv.Ack(nil); err != nil {
			t.Fatal(err)
		}
		ack := dlgAwaitAck(t, c.in)
		dlgBodyIs(t, "ACK at the callee", ack, "", nil)
	})
}

// TestPrackNeverComesAfterAnswer: the callee answered while the caller's
// reliable 183 with SDP waited for its PRACK, which never comes: the 200
// is never sent; at 64*T1 the caller gets 500, the answered callee a BYE,
// and the CDR says why.
func TestPrackNeverComesAfterAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newDlgEnv(t)
		c := e.relInvite("Supported", dlgSDP("offer"))
		dlgRespond(t, c.in, relResponse(c.in, 183, 0, dlgSDP("answer")))
		relAwait(t, e.caller, 183, 0)
		t0 := e.caller.Received(testua.Status(183))[0].At
		ok := c.in.NewResponse(200, "OK")
		testua.SetBody(ok, "application/sdp", dlgSDP("answer"))
		dlgRespond(t, c.in, ok)
		dlgAwaitAck(t, c.in)
		res := dlgFinal(t, c.inv)
		if res.StatusCode != 500 {
			t.Fatalf("INVITE answered %d, want 500", res.StatusCode)
		}
		if at := e.caller.Received(testua.Status(500))[0].At.Sub(t0); at != 64*dlgT1 {
			t.Errorf("500 at %v, want 64*T1", at)
		}
		if n := len(e.caller.Received(testua.Status(200))); n != 0 {
			t.Errorf("caller got %d 200s without PRACKing", n)
		}
		ctx, cancel := dlgWaitCtx(t)
		defer cancel()
		bye, err := e.callee.Await(ctx, testua.Method(sip.BYE))
		if err != nil {
			t.Fatalf("callee got no BYE: %v", err)
		}
		if at := bye.At.Sub(t0); at != 64*dlgT1 {
			t.Errorf("BYE to the callee at %v, want 64*T1", at)
		}
		cdrs := dlgCDRs(t, e.h)
		if len(cdrs) != 1 || cdrs[0].Cause != 500 || cdrs[0].Reason != "no PRACK" {
			t.Errorf("CDRs %+v, want one ended 500 no PRACK", cdrs)
		}
	})
}

// TestPrackOfferOff: with call.offer_100rel false the callee's INVITE says
// nothing of 100rel, while a caller that requires it is still served
// reliably (each leg on its own).
func TestPrackOfferOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := config.Demo()
		cfg.TrustedPeers = []config.TrustedPeer{{Name: "raw", Address: "10.0.0.0/8"}}
		cfg.Call.Offer100rel = false
		h := vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait))
		e := &dlgEnv{t: t, h: h, caller: dlgNewUA(t, h, "1000"), callee: dlgNewUA(t, h, "1001")}
		ctx, cancel := dlgWaitCtx(t)
		defer cancel()
		if res, err := e.callee.Register(ctx, testua.Registration{Password: h.Password("1001"), Expires: 3600}); err != nil || res.StatusCode != 200 {
			t.Fatalf("register 1001: %v, %v", res, err)
		}
		c := e.relInvite("Require", dlgSDP("offer"))
		if v := headerValues(c.in.Request(), "Supported"); rel100.Has(c.in.Request(), "Supported") {
			t.Errorf("callee's INVITE Supported %q with call.offer_100rel false", v)
		}
		if _, n := relAwait(t, e.caller, 180, 0); n == 0 {
			t.Error("no RSeq")
		}
		dlgRespond(t, c.in, c.in.NewResponse(486, "Busy Here"))
		if res := dlgFinal(t, c.inv); res.StatusCode != 486 {
			t.Errorf("INVITE answered %d, want 486", res.StatusCode)
		}
	})
}

// TestPrackLateOfferAnchored: the late-offer 100rel flow through the media
// server's seam: the callee's offer in its reliable 183 reaches the caller
// naming the PBX, the caller's answer in its PRACK reaches the callee in
// the PBX's PRACK naming the PBX too, and the call completes.
func TestPrackLateOfferAnchored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newDlgEnv(t, vnet.WithMedia())
		c := e.relInvite("Supported", nil)
		dlgRespond(t, c.in, relResponse(c.in, 183, 1, dlgSDP("callee-offer")))
		r183, _ := relAwait(t, e.caller, 183, 0)
		pbxIP := e.h.Addr.Addr()
		if got := sdpAddr(t, r183.Body()).Addr(); got != pbxIP {
			t.Errorf("183 to the caller names %v, want the PBX %v", got, pbxIP)
		}
		if res := relPrack(t, c, r183, "", dlgSDP("caller-answer")); res.StatusCode != 200 {
			t.Fatalf("caller's PRACK answered %d", res.StatusCode)
		}
		pr := dlgAwait(t, e.callee, testua.Method(sip.PRACK))
		if !hasSDPBody(pr.Request()) || sdpAddr(t, pr.Request().Body()).Addr() != pbxIP {
			t.Errorf("PRACK to the callee carries %q, want an answer naming the PBX", pr.Request().Body())
		}
		dlgRespond(t, pr, pr.NewResponse(200, "OK"))
		dlgRespond(t, c.in, c.in.NewResponse(200, "OK"))
		if res := dlgFinal(t, c.inv); res.StatusCode != 200 {
			t.Fatalf("INVITE answered %d", res.StatusCode)
		}
		if _, err := c.inv.Ack(nil); err != nil {
			t.Fatal(err)
		}
		if ack := dlgAwaitAck(t, c.in); len(ack.Body()) != 0 {
			t.Errorf("ACK to the callee carries %q, want none (offer/answer done in the early dialog)", ack.Body())
		}
	})
}

func hasSDPBody(m sip.Message) bool { return len(m.Body()) > 0 }
