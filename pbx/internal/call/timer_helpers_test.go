package call_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest/vnet"
)

// Fixtures of the timer_*_test.go files (RFC 4028 session timers): the
// dialog tests' PBX, caller and callee with sip.session_timers set by st.

func newTimerEnv(t *testing.T, st config.SessionTimers) *dlgEnv {
	t.Helper()
	cfg := config.Demo()
	cfg.TrustedPeers = []config.TrustedPeer{{Name: "raw", Address: "10.0.0.0/8"}}
	cfg.SIP.SessionTimers = st
	h := vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait))
	e := &dlgEnv{t: t, h: h, caller: dlgNewUA(t, h, "1000"), callee: dlgNewUA(t, h, "1001")}
	manual := testua.DefaultAuto &^ testua.AutoOther
	e.caller.SetAuto(manual)
	e.callee.SetAuto(manual)
	ctx, cancel := dlgWaitCtx(t)
	defer cancel()
	res, err := e.callee.Register(ctx, testua.Registration{Password: h.Password("1001"), Expires: 3600})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("register 1001: %v, %v", res, err)
	}
	return e
}

// stCall places a call whose INVITE carries the caller's session-timer
// headers hdrs; the callee answers 200 with its own headers answer (and
// the SDP answer). It returns the call and the caller's 200.
func (e *dlgEnv) stCall(hdrs, answer []sip.Header) (*dlgCall, *sip.Response) {
	e.t.Helper()
	ctx, cancel := dlgWaitCtx(e.t)
	defer cancel()
	req := e.caller.NewInvite("1001", dlgSDP("caller"))
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	tx, err := e.caller.Start(req)
	if err != nil {
		e.t.Fatal(err)
	}
	in, err := e.callee.AwaitIncoming(ctx, testua.And(testua.Method(sip.INVITE), testua.ToTag("")))
	if err != nil {
		e.t.Fatalf("callee got no INVITE: %v", err)
	}
	c := &dlgCall{e: e, inv: tx, in: in}
	ok := in.NewResponse(200, "OK")
	testua.SetBody(ok, "application/sdp", dlgSDP("callee-200"))
	for _, h := range answer {
		ok.AppendHeader(h)
	}
	dlgRespond(e.t, in, ok)
	res, err := tx.Final(ctx)
	if err != nil || res.StatusCode != 200 {
		e.t.Fatalf("INVITE answered %v, %v", res, err)
	}
	if _, err := tx.Ack(nil); err != nil {
		e.t.Fatal(err)
	}
	if _, err := in.AwaitAck(ctx); err != nil {
		e.t.Fatalf("callee got no ACK: %v", err)
	}
	c.cd, c.ed = tx.Dialog(), in.Dialog()
	return c, res
}

// hdr is sip.NewHeader.
func hdr(name, value string) sip.Header { return sip.NewHeader(name, value) }

// headerIs fails t unless m's header name has exactly value (or is absent
// when value is "").
func headerIs(t *testing.T, what string, m sip.Message, name, value string) {
	t.Helper()
	got := ""
	if hs := m.GetHeaders(name); len(hs) > 0 {
		got = hs[0].Value()
	}
	if !strings.EqualFold(strings.ReplaceAll(got, " ", ""), strings.ReplaceAll(value, " ", "")) {
		t.Errorf("%s: %s %q, want %q", what, name, got, value)
	}
}

// stCDRReason is the reason of the only CDR.
func stCDRReason(t *testing.T, e *dlgEnv) string {
	t.Helper()
	recs := dlgCDRs(t, e.h)
	if len(recs) != 1 {
		t.Fatalf("%d CDRs, want 1", len(recs))
	}
	return recs[0].Reason
}

// near reports whether d is within 10 ms of want (the PBX's executor
// posts add no virtual time; sending does not either).
func near(d, want time.Duration) bool {
	return d >= want-10*time.Millisecond && d <= want+10*time.Millisecond
}

// stDropCallerTimer answers the PBX's next refresh on the caller's leg
// with a plain 200 (no Session-Expires: RFC 4028 §7.2, no session timer
// on that leg any more), so that only the callee's leg keeps one.
func stDropCallerTimer(t *testing.T, e *dlgEnv) {
	t.Helper()
	in := dlgAwait(t, e.caller, testua.And(testua.Or(testua.Method(sip.UPDATE), testua.Method(sip.INVITE)), dlgInDialog()))
	res := in.NewResponse(200, "OK")
	if in.Request().Method == sip.INVITE {
		testua.SetBody(res, "application/sdp", dlgSDP("caller-refresh"))
	}
	dlgRespond(t, in, res)
	if in.Request().Method == sip.INVITE {
		dlgAwaitAck(t, in)
	}
}
