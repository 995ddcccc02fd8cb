package call_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
)

// TestTimerTooSmall: a caller asking for 60 s gets 422 with Min-SE: 90
// (RFC 4028 §9) and no call starts; a Session-Expires that does not parse
// gets 400. The callee asks the PBX's own INVITE for at least 120 s with
// 422: the PBX sends the INVITE again (§7.4) with a new CSeq, Min-SE: 120
// and Session-Expires: 120, and the call completes on it.
func TestTimerTooSmall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTimerEnv(t, config.SessionTimers{Expires: 90 * time.Second, MinSE: 90 * time.Second, Refresher: config.RefresherAuto})
		for _, tc := range []struct {
			se   string
			code int
		}{{"60;refresher=uac", 422}, {"ninety", 400}, {"90;refresher=me", 400}, {"-90", 400}} {
			req := e.caller.NewInvite("1001", dlgSDP("caller"))
			req.AppendHeader(hdr("Supported", "timer"))
			req.AppendHeader(hdr("Session-Expires", tc.se))
			res := dlgFinal(t, func() *testua.ClientTx {
				tx, err := e.caller.Start(req)
				if err != nil {
					t.Fatal(err)
				}
				return tx
			}())
			if res.StatusCode != tc.code {
				t.Errorf("Session-Expires %q answered %d, want %d", tc.se, res.StatusCode, tc.code)
			}
			if tc.code == 422 {
				headerIs(t, "422", res, "Min-SE", "90")
			}
		}
		if n := len(e.callee.Received(testua.Method(sip.INVITE))); n != 0 {
			t.Fatalf("callee got %d INVITEs for refused calls", n)
		}

		tx, err := e.caller.Start(e.caller.NewInvite("1001", dlgSDP("caller")))
		if err != nil {
			t.Fatal(err)
		}
		first := dlgAwait(t, e.callee, testua.And(testua.Method(sip.INVITE), testua.ToTag("")))
		headerIs(t, "first INVITE", first.Request(), "Session-Expires", "90")
		tooSmall := first.NewResponse(422, "Session Interval Too Small")
		tooSmall.AppendHeader(hdr("Min-SE", "120"))
		dlgRespond(t, first, tooSmall)
		dlgAwaitAck(t, first)
		second := dlgAwait(t, e.callee, testua.And(testua.Method(sip.INVITE), testua.ToTag(""), testua.Not(testua.CSeq(first.Request().CSeq().SeqNo))))
		if second.Request().CallID().Value() != first.Request().CallID().Value() || second.Request().CSeq().SeqNo <= first.Request().CSeq().SeqNo {
			t.Errorf("retry: Call-ID %s CSeq %d, want the same Call-ID and a higher CSeq than %d", second.Request().CallID().Value(), second.Request().CSeq().SeqNo, first.Request().CSeq().SeqNo)
		}
		headerIs(t, "retried INVITE", second.Request(), "Session-Expires", "120")
		headerIs(t, "retried INVITE", second.Request(), "Min-SE", "120")
		ok := second.NewResponse(200, "OK")
		testua.SetBody(ok, "application/sdp", dlgSDP("callee-200"))
		ok.AppendHeader(hdr("Session-Expires", "120;refresher=uas"))
		dlgRespond(t, second, ok)
		res := dlgFinal(t, tx)
		if res.StatusCode != 200 {
			t.Fatalf("caller got %d, want 200 after the retry", res.StatusCode)
		}
		if _, err := tx.Ack(nil); err != nil {
			t.Fatal(err)
		}
		dlgAwaitAck(t, second)
		t0 := time.Now()
		stDropCallerTimer(t, e) // the PBX refreshes the caller's leg at 45 s
		// the callee refreshes (refresher=uas): the PBX waits 120 - 32 s
		bye := dlgAwait(t, e.callee, testua.Method(sip.BYE))
		if d := bye.Record().At.Sub(t0); !near(d, 88*time.Second) {
			t.Errorf("callee's leg ended %s after the answer, want 88 s (120 - 32)", d)
		}
		dlgRespond(t, bye, bye.NewResponse(200, "OK"))
		byeA := dlgAwait(t, e.caller, testua.Method(sip.BYE))
		dlgRespond(t, byeA, byeA.NewResponse(200, "OK"))
		recs := dlgCDRs(t, e.h)
		if len(recs) == 0 || !strings.HasPrefix(recs[len(recs)-1].Reason, "session timer expired (leg b") {
			t.Errorf("CDRs %+v, want the last one ended by the callee leg's session timer", recs)
		}
	})
}

// TestTimerRefreshFails: the PBX's refresh re-INVITE answered 481 ends the
// call: BYE to the caller, none to the callee whose dialog is gone, CDR
// reason "session refresh failed".
func TestTimerRefreshFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTimerEnv(t, config.SessionTimers{Expires: 90 * time.Second, MinSE: 90 * time.Second, Refresher: config.RefresherPBX})
		_, _ = e.stCall(nil, []sip.Header{hdr("Session-Expires", "90;refresher=uac"), hdr("Allow", "INVITE, ACK, BYE")})
		re := dlgAwait(t, e.callee, testua.And(testua.Method(sip.INVITE), dlgInDialog()))
		dlgRespond(t, re, re.NewResponse(481, "Call/Transaction Does Not Exist"))
		bye := dlgAwait(t, e.caller, testua.Method(sip.BYE))
		dlgRespond(t, bye, bye.NewResponse(200, "OK"))
		if r := stCDRReason(t, e); !strings.HasPrefix(r, "session refresh failed (leg b1, 481)") {
			t.Errorf("CDR reason %q", r)
		}
		if n := len(e.callee.Received(testua.Method(sip.BYE))); n != 0 {
			t.Errorf("callee got %d BYEs after its 481", n)
		}
	})
}

// TestTimerRefreshGlare: the PBX's refresh re-INVITE on the callee's leg
// (a dialog the PBX started: RFC 3261 §14.1's 2.1-4 s window) meets 491; it
// is sent again within the window with a higher CSeq and, answered, keeps
// the call up. A re-INVITE from the callee while the refresh is out gets
// 491 itself.
func TestTimerRefreshGlare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTimerEnv(t, config.SessionTimers{Expires: 90 * time.Second, MinSE: 90 * time.Second, Refresher: config.RefresherPBX})
		c, _ := e.stCall(nil, []sip.Header{hdr("Session-Expires", "90;refresher=uac"), hdr("Allow", "INVITE, ACK, BYE")})
		re := dlgAwait(t, e.callee, testua.And(testua.Method(sip.INVITE), dlgInDialog()))
		// the callee's own re-INVITE crosses the PBX's
		mine := c.ed.NewRequest(sip.INVITE)
		testua.SetBody(mine, "application/sdp", dlgSDP("callee-hold"))
		if res := dlgFinal(t, dlgStart(t, dlgSide{"callee", e.callee, c.ed}, mine)); res.StatusCode != 491 {
			t.Errorf("callee's crossing re-INVITE answered %d, want 491", res.StatusCode)
		}
		dlgRespond(t, re, re.NewResponse(491, "Request Pending"))
		dlgAwaitAck(t, re)
		refused := time.Now()
		again := dlgAwait(t, e.callee, testua.And(testua.Method(sip.INVITE), dlgInDialog(), testua.Not(testua.CSeq(re.Request().CSeq().SeqNo))))
		if d := again.Record().At.Sub(refused); d < 2100*time.Millisecond || d > 4*time.Second {
			t.Errorf("refresh sent again %s after the 491, want within 2.1-4 s", d)
		}
		if again.Request().CSeq().SeqNo <= re.Request().CSeq().SeqNo {
			t.Errorf("retried refresh CSeq %d, want above %d", again.Request().CSeq().SeqNo, re.Request().CSeq().SeqNo)
		}
		ok := again.NewResponse(200, "OK")
		testua.SetBody(ok, "application/sdp", dlgSDP("callee-200"))
		ok.AppendHeader(hdr("Session-Expires", "90;refresher=uac"))
		dlgRespond(t, again, ok)
		dlgAwaitAck(t, again)
		stDropCallerTimer(t, e)
		time.Sleep(30 * time.Second)
		if n := len(e.callee.Received(testua.Method(sip.BYE))); n != 0 {
			t.Fatalf("callee got a BYE: the refreshed call must stay up")
		}
		dlgEndCall(t, e, c)
	})
}

// TestTimerUpdateRefreshGlare: a callee that allows UPDATE is refreshed by
// an UPDATE without SDP at 45 s; answered 491, the UPDATE is sent again
// within RFC 3261 §14.1's 2.1-4 s (the PBX chose the Call-ID), and the 200
// to it restarts the session: the next refresh comes 45 s after it.
func TestTimerUpdateRefreshGlare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTimerEnv(t, config.SessionTimers{Expires: 90 * time.Second, MinSE: 90 * time.Second, Refresher: config.RefresherPBX})
		c, _ := e.stCall(nil, []sip.Header{hdr("Session-Expires", "90;refresher=uac"), hdr("Allow", "INVITE, ACK, BYE, UPDATE")})
		up := dlgAwait(t, e.callee, testua.Method(sip.UPDATE))
		if len(up.Request().Body()) != 0 {
			t.Errorf("refresh UPDATE carries SDP")
		}
		headerIs(t, "refresh UPDATE", up.Request(), "Session-Expires", "90;refresher=uac")
		dlgRespond(t, up, up.NewResponse(491, "Request Pending"))
		refused := time.Now()
		again := dlgAwait(t, e.callee, testua.And(testua.Method(sip.UPDATE), testua.Not(testua.CSeq(up.Request().CSeq().SeqNo))))
		if d := again.Record().At.Sub(refused); d < 2100*time.Millisecond || d > 4*time.Second {
			t.Errorf("UPDATE sent again %s after the 491, want within 2.1-4 s", d)
		}
		ok := again.NewResponse(200, "OK")
		ok.AppendHeader(hdr("Session-Expires", "90;refresher=uac"))
		dlgRespond(t, again, ok)
		refreshed := time.Now()
		stDropCallerTimer(t, e)
		next := dlgAwait(t, e.callee, testua.And(testua.Method(sip.UPDATE), testua.Not(testua.CSeq(again.Request().CSeq().SeqNo))))
		if d := next.Record().At.Sub(refreshed); d != 45*time.Second {
			t.Errorf("next refresh %s after the last, want 45 s", d)
		}
		ok = next.NewResponse(200, "OK")
		ok.AppendHeader(hdr("Session-Expires", "90;refresher=uac"))
		dlgRespond(t, next, ok)
		dlgEndCall(t, e, c)
	})
}
