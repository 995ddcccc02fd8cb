package call_test

import (
	"strconv"
	"testing"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/rel100"
	"pbxlab/internal/testua"
)

// Helpers of prack_test.go (RFC 3262 on both legs).

// relInvite starts the caller's INVITE with offer (nil: none) and the
// 100rel header hdr ("Require" or "Supported"), and waits for it at the
// callee.
func (e *dlgEnv) relInvite(hdr string, offer []byte) *dlgCall {
	e.t.Helper()
	req := e.caller.NewInvite("1001", offer)
	if hdr != "" {
		req.AppendHeader(sip.NewHeader(hdr, rel100.Tag))
	}
	tx, err := e.caller.Start(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return &dlgCall{e: e, inv: tx, in: dlgAwait(e.t, e.callee, testua.And(testua.Method(sip.INVITE), testua.ToTag("")))}
}

// relAwait waits for the caller's next provisional response with status
// code carrying an RSeq, and returns it with its RSeq.
func relAwait(t *testing.T, u *testua.UA, code int, skip int) (*sip.Response, uint32) {
	t.Helper()
	ctx, cancel := dlgWaitCtx(t)
	defer cancel()
	m := testua.And(testua.Status(code), testua.HasHeader("RSeq", ""))
	if err := u.Until(ctx, func() bool { return len(u.Received(m)) > skip }); err != nil {
		t.Fatalf("no reliable %d: %v", code, err)
	}
	res := u.Received(m)[skip].Response()
	n, ok := rel100.Reliable(res)
	if !ok {
		t.Fatalf("%d is not reliable: Require %q RSeq %q", code, headerValues(res, "Require"), headerValues(res, "RSeq"))
	}
	return res, n
}

// relPrack sends the caller's PRACK for res with RAck value rack (""
// names res itself) and sdp, and returns its final response.
func relPrack(t *testing.T, c *dlgCall, res *sip.Response, rack string, sdp []byte) *sip.Response {
	t.Helper()
	d := c.inv.DialogFor(res)
	req := d.NewRequest(sip.PRACK)
	if rack == "" {
		n, _ := rel100.RSeqOf(res)
		rack = strconv.FormatUint(uint64(n), 10) + " " + strconv.FormatUint(uint64(res.CSeq().SeqNo), 10) + " INVITE"
	}
	req.AppendHeader(sip.NewHeader("RAck", rack))
	if sdp != nil {
		testua.SetBody(req, "application/sdp", sdp)
	}
	tx, err := d.Start(req)
	if err != nil {
		t.Fatal(err)
	}
	return dlgFinal(t, tx)
}

// relResponse is the callee's provisional code for in, reliable with
// rseq (0: unreliable), with sdp if not nil.
func relResponse(in *testua.Incoming, code int, rseq uint32, sdp []byte) *sip.Response {
	res := in.NewResponse(code, "Session Progress")
	if rseq > 0 {
		res.AppendHeader(sip.NewHeader("Require", rel100.Tag))
		res.AppendHeader(sip.NewHeader("RSeq", strconv.FormatUint(uint64(rseq), 10)))
	}
	if sdp != nil {
		testua.SetBody(res, "application/sdp", sdp)
	}
	return res
}
