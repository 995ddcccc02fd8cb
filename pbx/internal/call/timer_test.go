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

// demoTimers are the defaults: the PBX asks for no session timer, accepts
// one of 90 s or more.
var demoTimers = config.SessionTimers{MinSE: 90 * time.Second, Refresher: config.RefresherAuto}

// TestTimerCallerRefreshes: a caller that asks for a 90 s session it
// refreshes itself (RFC 4028 §9) gets Session-Expires: 90;refresher=uac and
// Require: timer in its 200; its UPDATE without SDP is answered by the PBX
// (the callee, whose leg has no timer, sees nothing); when no refresh comes
// the PBX ends the call exactly at 90 - 30 s after the last one, BYE on
// both legs, CDR reason "session timer expired".
func TestTimerCallerRefreshes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTimerEnv(t, demoTimers)
		c, ok := e.stCall([]sip.Header{hdr("Supported", "timer"), hdr("Session-Expires", "90;refresher=uac")}, nil)
		headerIs(t, "caller's 200", ok, "Session-Expires", "90;refresher=uac")
		headerIs(t, "caller's 200", ok, "Require", "timer")
		headerIs(t, "callee's INVITE", c.in.Request(), "Session-Expires", "")

		time.Sleep(40 * time.Second)
		up := c.cd.NewRequest(sip.UPDATE)
		up.AppendHeader(hdr("Session-Expires", "90;refresher=uac"))
		up.AppendHeader(hdr("Supported", "timer"))
		res := dlgFinal(t, dlgStart(t, dlgSide{"caller", e.caller, c.cd}, up))
		if res.StatusCode != 200 {
			t.Fatalf("refresh UPDATE answered %d", res.StatusCode)
		}
		headerIs(t, "200 to the refresh", res, "Session-Expires", "90;refresher=uac")
		refreshed := time.Now()
		if n := len(e.callee.Received(testua.Method(sip.UPDATE))); n != 0 {
			t.Errorf("callee got %d UPDATEs: an SDP-less refresh stays on its leg", n)
		}

		bye := dlgAwait(t, e.caller, testua.Method(sip.BYE))
		if d := bye.Record().At.Sub(refreshed); d != 60*time.Second {
			t.Errorf("BYE %s after the last refresh, want 60 s (90 - min(32, 90/3))", d)
		}
		dlgRespond(t, bye, bye.NewResponse(200, "OK"))
		byeB := dlgAwait(t, e.callee, testua.Method(sip.BYE))
		dlgRespond(t, byeB, byeB.NewResponse(200, "OK"))
		if r := stCDRReason(t, e); !strings.HasPrefix(r, "session timer expired") {
			t.Errorf("CDR reason %q, want session timer expired", r)
		}
	})
}

// TestTimerPBXRefreshes: with sip.session_timers {expires: 90, refresher:
// pbx} the callee's INVITE asks for 90 s with refresher=uac; the callee
// agrees without allowing UPDATE, so at exactly 45 s the PBX re-INVITEs it
// with the SDP it sent before (same o= version), and again 45 s after that
// refresh. The caller, without timer support, gets Session-Expires with
// refresher=uas and no Require; it allows UPDATE, so its refreshes are
// UPDATEs without SDP. The call stays up and is ended by the caller.
func TestTimerPBXRefreshes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTimerEnv(t, config.SessionTimers{Expires: 90 * time.Second, MinSE: 90 * time.Second, Refresher: config.RefresherPBX})
		c, ok := e.stCall([]sip.Header{hdr("Allow", "INVITE, ACK, BYE, CANCEL, UPDATE")},
			[]sip.Header{hdr("Session-Expires", "90;refresher=uac"), hdr("Require", "timer"), hdr("Allow", "INVITE, ACK, BYE, CANCEL")})
		t0 := time.Now()
		inv := c.in.Request()
		headerIs(t, "callee's INVITE", inv, "Session-Expires", "90;refresher=uac")
		headerIs(t, "callee's INVITE", inv, "Min-SE", "90")
		headerIs(t, "callee's INVITE", inv, "Supported", "100rel, timer")
		headerIs(t, "caller's 200", ok, "Session-Expires", "90;refresher=uas")
		headerIs(t, "caller's 200", ok, "Require", "")

		for i := 1; i <= 2; i++ {
			re := dlgAwait(t, e.callee, testua.And(testua.Method(sip.INVITE), dlgInDialog(), testua.Not(testua.CSeq(inv.CSeq().SeqNo))))
			if d := re.Record().At.Sub(t0); d != time.Duration(i)*45*time.Second {
				t.Errorf("refresh %d re-INVITE at %s, want %s", i, d, time.Duration(i)*45*time.Second)
			}
			dlgBodyIs(t, "refresh re-INVITE", re.Request(), "application/sdp", inv.Body())
			headerIs(t, "refresh re-INVITE", re.Request(), "Session-Expires", "90;refresher=uac")
			r := re.NewResponse(200, "OK")
			testua.SetBody(r, "application/sdp", dlgSDP("callee-200"))
			r.AppendHeader(hdr("Session-Expires", "90;refresher=uac"))
			dlgRespond(t, re, r)
			dlgAwaitAck(t, re)

			up := dlgAwait(t, e.caller, testua.Method(sip.UPDATE))
			if len(up.Request().Body()) != 0 {
				t.Errorf("caller's refresh UPDATE carries a body")
			}
			headerIs(t, "caller's refresh", up.Request(), "Session-Expires", "90;refresher=uac")
			r = up.NewResponse(200, "OK")
			r.AppendHeader(hdr("Session-Expires", "90;refresher=uac"))
			dlgRespond(t, up, r)
		}
		if n := len(e.callee.Received(testua.Method(sip.BYE))) + len(e.caller.Received(testua.Method(sip.BYE))); n != 0 {
			t.Fatalf("%d BYEs: the refreshed call must stay up", n)
		}
		dlgEndCall(t, e, c)
	})
}

// dlgEndCall: the caller hangs up and the callee agrees.
func dlgEndCall(t *testing.T, e *dlgEnv, c *dlgCall) {
	t.Helper()
	ctx, cancel := dlgWaitCtx(t)
	defer cancel()
	done := make(chan *sip.Response, 1)
	go func() {
		res, _ := c.cd.Bye(ctx)
		done <- res
	}()
	bye := dlgAwait(t, e.callee, testua.Method(sip.BYE))
	dlgRespond(t, bye, bye.NewResponse(200, "OK"))
	if res := <-done; res == nil || res.StatusCode != 200 {
		t.Fatalf("caller's BYE answered %v", res)
	}
	if r := stCDRReason(t, e); r != "caller hung up" {
		t.Errorf("CDR reason %q, want caller hung up", r)
	}
}
