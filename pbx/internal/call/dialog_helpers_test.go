package call_test

import (
	"bytes"
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest/vnet"
)

// Shared fixtures of the dialog_*_test.go files: the real PBX on an
// in-memory network in a synctest bubble, a caller and a callee that are
// both internal/testua endpoints, so that every message of both legs can be
// asserted byte for byte and with its exact virtual arrival time.

// Timings of the demo configuration (RFC 3261 defaults) and the call
// layer's default AckWait.
const (
	dlgT1      = 500 * time.Millisecond
	dlgT2      = 4 * time.Second
	dlgAckWait = 500 * time.Millisecond
	// dlgWaitLimit bounds every wait of these tests, in virtual time: well
	// past any SIP timer, so a message that never comes fails the test
	// instead of hanging it.
	dlgWaitLimit = 10 * time.Minute
)

// dlgWaitCtx is t's context bounded by dlgWaitLimit.
func dlgWaitCtx(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), dlgWaitLimit)
}

// dlgEnv is a PBX, a caller UA (1000, a trusted peer: no digest) and a
// callee UA (1001, registered).
type dlgEnv struct {
	t      *testing.T
	h      *vnet.Harness
	caller *testua.UA
	callee *testua.UA
}

// newDlgEnv starts the PBX with opts and the two UAs. The callee answers
// nothing but 100/180 to INVITEs, CANCEL, BYE and OPTIONS by itself: the
// tests answer re-INVITE, UPDATE and INFO.
func newDlgEnv(t *testing.T, opts ...vnet.Option) *dlgEnv {
	t.Helper()
	cfg := config.Demo()
	cfg.TrustedPeers = []config.TrustedPeer{{Name: "raw", Address: "10.0.0.0/8"}}
	h := vnet.Start(t, cfg, append([]vnet.Option{vnet.WithSettle(synctest.Wait)}, opts...)...)
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

// dlgNewUA opens a test UA on the network; it closes once the bubble is
// idle, before the PBX stops.
func dlgNewUA(t *testing.T, h *vnet.Harness, user string) *testua.UA {
	t.Helper()
	u, err := testua.New(testua.Config{Transport: "udp", PBX: h.Addr, User: user}, testua.WithPacketConn(h.Listen("")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		synctest.Wait()
		_ = u.Close()
	})
	return u
}

// dlgCall is an answered, ACKed call from the caller to the callee.
type dlgCall struct {
	e      *dlgEnv
	inv    *testua.ClientTx // the caller's INVITE
	in     *testua.Incoming // that INVITE as the callee got it
	cd, ed *testua.Dialog   // the caller's and the callee's dialog
}

// establish places a call with offer (nil: late offer) and completes it:
// the callee answers 200 (with its answer, or its offer for a late
// offer), the caller ACKs (with answer, for a late offer), and the callee
// gets the PBX's ACK.
func (e *dlgEnv) establish(offer, answer []byte) *dlgCall {
	e.t.Helper()
	ctx, cancel := dlgWaitCtx(e.t)
	defer cancel()
	c := e.ring(offer)
	ok := c.in.NewResponse(200, "OK")
	testua.SetBody(ok, "application/sdp", dlgSDP("callee-200")) // the answer, or the offer of a late offer
	if err := c.in.Respond(ok); err != nil {
		e.t.Fatal(err)
	}
	res, err := c.inv.Final(ctx)
	if err != nil || res.StatusCode != 200 {
		e.t.Fatalf("INVITE answered %v, %v", res, err)
	}
	if _, err := c.inv.Ack(answer); err != nil {
		e.t.Fatal(err)
	}
	if _, err := c.in.AwaitAck(ctx); err != nil {
		e.t.Fatalf("callee got no ACK: %v", err)
	}
	c.cd, c.ed = c.inv.Dialog(), c.in.Dialog()
	return c
}

// ring sends the caller's INVITE and returns once it reached the callee.
func (e *dlgEnv) ring(offer []byte) *dlgCall {
	e.t.Helper()
	tx, err := e.caller.Start(e.caller.NewInvite("1001", offer))
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := dlgWaitCtx(e.t)
	defer cancel()
	in, err := e.callee.AwaitIncoming(ctx, testua.And(testua.Method(sip.INVITE), testua.ToTag("")))
	if err != nil {
		e.t.Fatalf("callee got no INVITE: %v", err)
	}
	return &dlgCall{e: e, inv: tx, in: in}
}

// dlgSide is one end of an established call, for tests run in both
// directions.
type dlgSide struct {
	name string
	ua   *testua.UA
	d    *testua.Dialog
}

// sides returns (sender, far side) for direction "caller" (the caller
// sends) or "callee".
func (c *dlgCall) sides(sender string) (dlgSide, dlgSide) {
	a := dlgSide{"caller", c.e.caller, c.cd}
	b := dlgSide{"callee", c.e.callee, c.ed}
	if sender == "callee" {
		return b, a
	}
	return a, b
}

// dlgInDialog matches requests that carry a To tag (in a dialog).
func dlgInDialog() testua.Matcher {
	return testua.Func(func(m sip.Message) bool { return m.To() != nil && m.To().Params.Has("tag") })
}

// dlgSDP returns a distinct, valid SDP body for a test to recognise.
func dlgSDP(marker string) []byte {
	return []byte("v=0\r\no=- 4711 1 IN IP4 10.9.9.9\r\ns=" + marker + "\r\nc=IN IP4 10.9.9.9\r\nt=0 0\r\n" +
		"m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")
}

// dlgStart sends req from s in its dialog as a client transaction.
func dlgStart(t *testing.T, s dlgSide, req *sip.Request) *testua.ClientTx {
	t.Helper()
	tx, err := s.d.Start(req)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// dlgFinal waits for tx's final response.
func dlgFinal(t *testing.T, tx *testua.ClientTx) *sip.Response {
	t.Helper()
	ctx, cancel := dlgWaitCtx(t)
	defer cancel()
	res, err := tx.Final(ctx)
	if err != nil {
		t.Fatalf("%s: %v", tx.Request().Method, err)
	}
	return res
}

// dlgAwait waits for the next request matching m at s.
func dlgAwait(t *testing.T, u *testua.UA, m testua.Matcher) *testua.Incoming {
	t.Helper()
	ctx, cancel := dlgWaitCtx(t)
	defer cancel()
	in, err := u.AwaitIncoming(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// dlgAwaitAck waits for the next ACK of in.
func dlgAwaitAck(t *testing.T, in *testua.Incoming) *sip.Request {
	t.Helper()
	return dlgAwaitAckRecord(t, in).Request()
}

// dlgAwaitAckRecord waits for the next ACK of in and returns its record.
func dlgAwaitAckRecord(t *testing.T, in *testua.Incoming) *testua.Record {
	t.Helper()
	ctx, cancel := dlgWaitCtx(t)
	defer cancel()
	ack, err := in.AwaitAck(ctx)
	if err != nil {
		t.Fatalf("no ACK for %s %d: %v", in.Request().Method, in.Request().CSeq().SeqNo, err)
	}
	return ack
}

// dlgRespond sends res to in, failing t on error.
func dlgRespond(t *testing.T, in *testua.Incoming, res *sip.Response) {
	t.Helper()
	if err := in.Respond(res); err != nil {
		t.Fatal(err)
	}
}

// dlgBodyIs fails t unless m carries exactly body with Content-Type ct.
func dlgBodyIs(t *testing.T, what string, m sip.Message, ct string, body []byte) {
	t.Helper()
	if !bytes.Equal(m.Body(), body) {
		t.Errorf("%s carries body %q, want %q", what, m.Body(), body)
	}
	got := ""
	if h := m.GetHeaders("Content-Type"); len(h) > 0 {
		got = h[0].Value()
	}
	if len(body) > 0 && got != ct {
		t.Errorf("%s Content-Type %q, want %q", what, got, ct)
	}
}

// dlgAcksOf lists the ACKs u received with CSeq number n.
func dlgAcksOf(u *testua.UA, n uint32) []*testua.Record {
	return u.Received(testua.And(testua.Method(sip.ACK), testua.CSeq(n)))
}

// dlgCDRs returns the PBX's CDRs once the bubble is idle.
func dlgCDRs(t *testing.T, h *vnet.Harness) []pbx.CDR {
	t.Helper()
	synctest.Wait()
	recs, err := h.PBX.ListCDRs(context.Background(), pbx.CDRFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// dlgSince returns the virtual times of recs relative to t0.
func dlgSince(t0 time.Time, recs []*testua.Record) []time.Duration {
	out := make([]time.Duration, len(recs))
	for i, r := range recs {
		out[i] = r.At.Sub(t0)
	}
	return out
}
