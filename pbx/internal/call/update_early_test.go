package call_test

import (
	"testing"
	"testing/synctest"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
)

// earlyCall rings the callee, which sends a reliable 183 with the answer
// (PRACKed by the PBX), and the caller (Supported: 100rel) PRACKs the
// reliable 183 it gets: both early dialogs have completed offer/answer.
// It returns the call and the caller's early dialog.
func earlyCall(t *testing.T, e *dlgEnv) (*dlgCall, *testua.Dialog) {
	t.Helper()
	c := e.relInvite("Supported", dlgSDP("offer"))
	dlgRespond(t, c.in, relResponse(c.in, 183, 1, dlgSDP("answer")))
	pr := dlgAwait(t, e.callee, testua.Method(sip.PRACK))
	dlgRespond(t, pr, pr.NewResponse(200, "OK"))
	r183, _ := relAwait(t, e.caller, 183, 0)
	if res := relPrack(t, c, r183, "", nil); res.StatusCode != 200 {
		t.Fatalf("caller's PRACK answered %d", res.StatusCode)
	}
	return c, c.inv.DialogFor(r183)
}

// TestEarlyUpdateRelayed: an UPDATE with an offer in the early dialog is
// relayed both ways while the call rings (RFC 3311): from the caller to
// the callee, answered with the callee's SDP, and from the callee to the
// caller; then the call is answered as usual.
func TestEarlyUpdateRelayed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newDlgEnv(t)
		c, cd := earlyCall(t, e)
		ed := c.in.Dialog()

		up := cd.NewRequest(sip.UPDATE)
		testua.SetBody(up, "application/sdp", dlgSDP("caller-update"))
		utx := dlgStart(t, dlgSide{"caller", e.caller, cd}, up)
		in := dlgAwait(t, e.callee, testua.And(testua.Method(sip.UPDATE), dlgInDialog()))
		dlgBodyIs(t, "UPDATE at the callee", in.Request(), "application/sdp", dlgSDP("caller-update"))
		if tag := toTag(in.Request()); tag != c.in.Tag() {
			t.Errorf("UPDATE To tag %q, want the callee's early dialog %q", tag, c.in.Tag())
		}
		ok := in.NewResponse(200, "OK")
		testua.SetBody(ok, "application/sdp", dlgSDP("callee-update-answer"))
		dlgRespond(t, in, ok)
		res := dlgFinal(t, utx)
		if res.StatusCode != 200 {
			t.Fatalf("caller's early UPDATE answered %d", res.StatusCode)
		}
		dlgBodyIs(t, "200 to the caller's UPDATE", res, "application/sdp", dlgSDP("callee-update-answer"))

		up2 := ed.NewRequest(sip.UPDATE)
		testua.SetBody(up2, "application/sdp", dlgSDP("callee-update"))
		utx2 := dlgStart(t, dlgSide{"callee", e.callee, ed}, up2)
		in2 := dlgAwait(t, e.caller, testua.And(testua.Method(sip.UPDATE), dlgInDialog()))
		dlgBodyIs(t, "UPDATE at the caller", in2.Request(), "application/sdp", dlgSDP("callee-update"))
		ok2 := in2.NewResponse(200, "OK")
		testua.SetBody(ok2, "application/sdp", dlgSDP("caller-update-answer"))
		dlgRespond(t, in2, ok2)
		if res := dlgFinal(t, utx2); res.StatusCode != 200 || string(res.Body()) != string(dlgSDP("caller-update-answer")) {
			t.Fatalf("callee's early UPDATE answered %d with %q", res.StatusCode, res.Body())
		}

		ok3 := c.in.NewResponse(200, "OK")
		testua.SetBody(ok3, "application/sdp", dlgSDP("answer"))
		dlgRespond(t, c.in, ok3)
		if res := dlgFinal(t, c.inv); res.StatusCode != 200 {
			t.Fatalf("INVITE answered %d", res.StatusCode)
		}
		if _, err := c.inv.Ack(nil); err != nil {
			t.Fatal(err)
		}
	})
}

// TestEarlyUpdateGlare: while the PBX's UPDATE offer (relayed from the
// callee) waits for the caller's answer, the caller's own UPDATE offer
// gets 491; a second UPDATE of the callee while its first is unanswered
// gets 500 with Retry-After (RFC 3311 §5.2).
func TestEarlyUpdateGlare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newDlgEnv(t)
		c, cd := earlyCall(t, e)
		ed := c.in.Dialog()
		up := ed.NewRequest(sip.UPDATE)
		testua.SetBody(up, "application/sdp", dlgSDP("callee-update"))
		utx := dlgStart(t, dlgSide{"callee", e.callee, ed}, up)
		pending := dlgAwait(t, e.caller, testua.And(testua.Method(sip.UPDATE), dlgInDialog()))

		cross := cd.NewRequest(sip.UPDATE)
		testua.SetBody(cross, "application/sdp", dlgSDP("caller-update"))
		if res := dlgFinal(t, dlgStart(t, dlgSide{"caller", e.caller, cd}, cross)); res.StatusCode != 491 {
			t.Errorf("caller's UPDATE crossing the PBX's answered %d, want 491", res.StatusCode)
		}
		again := ed.NewRequest(sip.UPDATE)
		testua.SetBody(again, "application/sdp", dlgSDP("callee-update-2"))
		res := dlgFinal(t, dlgStart(t, dlgSide{"callee", e.callee, ed}, again))
		if res.StatusCode != 500 || len(headerValues(res, "Retry-After")) != 1 {
			t.Errorf("second UPDATE while the first is pending answered %d Retry-After %q, want 500 with one", res.StatusCode, headerValues(res, "Retry-After"))
		}
		ok := pending.NewResponse(200, "OK")
		testua.SetBody(ok, "application/sdp", dlgSDP("caller-answer"))
		dlgRespond(t, pending, ok)
		if res := dlgFinal(t, utx); res.StatusCode != 200 {
			t.Errorf("callee's first UPDATE answered %d", res.StatusCode)
		}
		dlgRespond(t, c.in, c.in.NewResponse(486, "Busy Here"))
		if res := dlgFinal(t, c.inv); res.StatusCode != 486 {
			t.Errorf("INVITE answered %d, want the callee's 486", res.StatusCode)
		}
	})
}
