package call_test

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx"
)

// TestDialogTargetRefresh: a re-INVITE or UPDATE with a new Contact (RFC
// 3261 §12.2.2, RFC 3311) makes the PBX send later requests of that dialog
// to the new target; so does a new Contact in the 2xx to a re-INVITE or
// UPDATE the PBX sent (§12.2.1.2). Both sides move: the far side's INFO
// and the sender's BYE show the new Request-URIs.
func TestDialogTargetRefresh(t *testing.T) {
	for _, method := range []sip.RequestMethod{sip.INVITE, sip.UPDATE} {
		for _, dir := range []string{"caller", "callee"} {
			t.Run(fmt.Sprintf("%s from %s", method, dir), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					e := newDlgEnv(t)
					c := e.establish(dlgSDP("offer-1"), nil)
					snd, far := c.sides(dir)
					moved := func(u *testua.UA, who string) sip.Uri {
						uri := u.ContactURI()
						uri.User = who + "-moved"
						return uri
					}
					sndTarget, farTarget := moved(snd.ua, snd.name), moved(far.ua, far.name)

					req := snd.d.NewRequest(method)
					testua.SetBody(req, "application/sdp", dlgSDP("refresh"))
					req.RemoveHeader("Contact")
					req.AppendHeader(&sip.ContactHeader{Address: sndTarget})
					tx := dlgStart(t, snd, req)
					in := dlgAwait(t, far.ua, testua.And(testua.Method(method), dlgInDialog()))
					ok := in.NewResponse(200, "OK")
					ok.RemoveHeader("Contact")
					ok.AppendHeader(&sip.ContactHeader{Address: farTarget})
					testua.SetBody(ok, "application/sdp", dlgSDP("refreshed"))
					dlgRespond(t, in, ok)
					if res := dlgFinal(t, tx); res.StatusCode != 200 {
						t.Fatalf("%s answered %d", method, res.StatusCode)
					}
					if method == sip.INVITE {
						if _, err := tx.Ack(nil); err != nil {
							t.Fatal(err)
						}
						dlgAwaitAck(t, in)
					}

					// the far side's 2xx moved it: the PBX's INFO goes to its new target
					info := dlgStart(t, snd, snd.d.NewRequest(sip.INFO))
					got := dlgAwait(t, far.ua, testua.Method(sip.INFO))
					if r := got.Request().Recipient; r.String() != farTarget.String() {
						t.Errorf("INFO to the %s for %s, want its new target %s", far.name, r.String(), farTarget.String())
					}
					dlgRespond(t, got, got.NewResponse(200, "OK"))
					dlgFinal(t, info)

					// the sender's request moved it: the PBX's BYE goes to its new target
					bye := dlgStart(t, far, far.d.NewRequest(sip.BYE))
					got = dlgAwait(t, snd.ua, testua.Method(sip.BYE))
					if r := got.Request().Recipient; r.String() != sndTarget.String() {
						t.Errorf("BYE to the %s for %s, want its new target %s", snd.name, r.String(), sndTarget.String())
					}
					dlgFinal(t, bye)
				})
			})
		}
	}
}

// TestDialogCSeqOrder: an in-dialog request whose CSeq is lower than the
// last one of its dialog is out of order: 500 (RFC 3261 §12.2.2), and
// nothing reaches the other side.
func TestDialogCSeqOrder(t *testing.T) {
	for _, dir := range []string{"caller", "callee"} {
		t.Run(dir, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newDlgEnv(t)
				c := e.establish(dlgSDP("offer-1"), nil)
				snd, far := c.sides(dir)
				send := func(method sip.RequestMethod, seq uint32) *testua.ClientTx {
					req := snd.d.NewRequest(method)
					req.CSeq().SeqNo = seq
					if method == sip.INVITE {
						testua.SetBody(req, "application/sdp", dlgSDP("reoffer"))
					}
					return dlgStart(t, snd, req)
				}
				tx := send(sip.INFO, 10)
				in := dlgAwait(t, far.ua, testua.Method(sip.INFO))
				dlgRespond(t, in, in.NewResponse(200, "OK"))
				if res := dlgFinal(t, tx); res.StatusCode != 200 {
					t.Fatalf("INFO CSeq 10 answered %d", res.StatusCode)
				}
				for _, method := range []sip.RequestMethod{sip.INFO, sip.INVITE, sip.UPDATE} {
					if res := dlgFinal(t, send(method, 5)); res.StatusCode != 500 {
						t.Errorf("%s with CSeq 5 after 10 answered %d, want 500", method, res.StatusCode)
					}
				}
				synctest.Wait()
				if n := len(far.ua.Incoming(dlgInDialog())); n != 1 {
					t.Errorf("the %s got %d in-dialog requests, want only the first INFO", far.name, n)
				}
			})
		})
	}
}

// TestDialogBrokenFarLeg: a relayed re-INVITE or INFO answered 481 by the
// far side (the dialog is gone there, RFC 3261 §12.2.1.2): the sender gets
// the 481, the call ends with BYE to the sender only, and the CDR says
// why.
func TestDialogBrokenFarLeg(t *testing.T) {
	for _, method := range []sip.RequestMethod{sip.INVITE, sip.INFO} {
		for _, dir := range []string{"caller", "callee"} {
			t.Run(fmt.Sprintf("%s from %s", method, dir), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					e := newDlgEnv(t)
					c := e.establish(dlgSDP("offer-1"), nil)
					snd, far := c.sides(dir)
					req := snd.d.NewRequest(method)
					if method == sip.INVITE {
						testua.SetBody(req, "application/sdp", dlgSDP("reoffer"))
					}
					tx := dlgStart(t, snd, req)
					in := dlgAwait(t, far.ua, testua.And(testua.Method(method), dlgInDialog()))
					dlgRespond(t, in, in.NewResponse(481, "Call/Transaction Does Not Exist"))
					if res := dlgFinal(t, tx); res.StatusCode != 481 {
						t.Errorf("%s answered %d to the %s, want the far side's 481", method, res.StatusCode, snd.name)
					}
					bye := dlgAwait(t, snd.ua, testua.Method(sip.BYE))
					if bye.Request().CallID().Value() != snd.d.CallID() {
						t.Errorf("BYE for Call-ID %s", bye.Request().CallID().Value())
					}
					time.Sleep(time.Minute)
					if n := len(far.ua.Received(testua.Method(sip.BYE))); n != 0 {
						t.Errorf("the %s, which said 481, got %d BYEs", far.name, n)
					}
					recs := dlgCDRs(t, e.h)
					if len(recs) != 1 || recs[0].Disposition != pbx.Answered || recs[0].Reason != "in-dialog 481 from the far end" {
						t.Errorf("CDRs %+v, want one ANSWERED ended by the in-dialog 481", recs)
					}
				})
			})
		}
	}
}

// TestDialogFarLegTimeout: a relayed INFO or re-INVITE the far side
// never answers times out after 64*T1 (Timer F, Timer B): the sender gets
// 408, both sides get BYE (RFC 3261 §12.2.1.2), and the CDR says why.
func TestDialogFarLegTimeout(t *testing.T) {
	for _, method := range []sip.RequestMethod{sip.INFO, sip.INVITE} {
		for _, dir := range []string{"caller", "callee"} {
			t.Run(fmt.Sprintf("%s from %s", method, dir), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					e := newDlgEnv(t)
					c := e.establish(dlgSDP("offer-1"), nil)
					snd, far := c.sides(dir)
					far.ua.SetAuto(far.ua.Auto() &^ testua.AutoTrying) // not even a 100
					req := snd.d.NewRequest(method)
					if method == sip.INVITE {
						testua.SetBody(req, "application/sdp", dlgSDP("reoffer"))
					}
					tx := dlgStart(t, snd, req)
					sent := time.Now()
					in := dlgAwait(t, far.ua, testua.And(testua.Method(method), dlgInDialog())) // and never answered
					res := dlgFinal(t, tx)
					if res.StatusCode != 408 || time.Since(sent) != 64*dlgT1 {
						t.Errorf("%s answered %d after %v, want 408 after 64*T1 = %v", method, res.StatusCode, time.Since(sent), 64*dlgT1)
					}
					for _, s := range []dlgSide{snd, far} {
						bye := dlgAwait(t, s.ua, testua.Method(sip.BYE))
						if at := bye.Record().At.Sub(sent); at != 64*dlgT1 {
							t.Errorf("BYE to the %s at %v, want at 64*T1", s.name, at)
						}
					}
					if n := len(in.Copies()); n < 2 {
						t.Errorf("the %s reached the %s %d times: not retransmitted over UDP", method, far.name, n)
					}
					recs := dlgCDRs(t, e.h)
					if len(recs) != 1 || recs[0].Disposition != pbx.Answered || recs[0].Reason != "in-dialog 408 from the far end" {
						t.Errorf("CDRs %+v, want one ANSWERED ended by the in-dialog 408", recs)
					}
				})
			})
		}
	}
}

// TestDialogMaxForwards: the PBX decrements Max-Forwards on what it relays
// (the INVITE, re-INVITE, UPDATE, INFO: 70 → 69, 7 → 6, never reset to
// 70, RFC 3261 §16.6 (3)), and answers an in-dialog request with
// Max-Forwards 0 with 483 without relaying it.
func TestDialogMaxForwards(t *testing.T) {
	for _, dir := range []string{"caller", "callee"} {
		t.Run(dir, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newDlgEnv(t)
				c := e.establish(dlgSDP("offer-1"), nil)
				if mf := c.in.Request().MaxForwards(); mf == nil || mf.Val() != 69 {
					t.Errorf("INVITE at the callee with Max-Forwards %v, want 69", mf)
				}
				snd, far := c.sides(dir)
				for _, method := range []sip.RequestMethod{sip.INVITE, sip.UPDATE, sip.INFO} {
					for _, hops := range []uint32{70, 7} {
						req := snd.d.NewRequest(method)
						*req.MaxForwards() = sip.MaxForwardsHeader(hops)
						if method != sip.INFO {
							testua.SetBody(req, "application/sdp", dlgSDP("offer"))
						}
						tx := dlgStart(t, snd, req)
						in := dlgAwait(t, far.ua, testua.And(testua.Method(method), dlgInDialog()))
						if mf := in.Request().MaxForwards(); mf == nil || uint32(mf.Val()) != hops-1 {
							t.Errorf("%s with Max-Forwards %d reached the %s with %v, want %d", method, hops, far.name, mf, hops-1)
						}
						ok := in.NewResponse(200, "OK")
						if method != sip.INFO {
							testua.SetBody(ok, "application/sdp", dlgSDP("answer"))
						}
						dlgRespond(t, in, ok)
						dlgFinal(t, tx)
						if method == sip.INVITE {
							if _, err := tx.Ack(nil); err != nil {
								t.Fatal(err)
							}
							dlgAwaitAck(t, in)
						}
					}
				}
				synctest.Wait()
				before := len(far.ua.Incoming(dlgInDialog()))
				for _, method := range []sip.RequestMethod{sip.INFO, sip.INVITE} {
					req := snd.d.NewRequest(method)
					*req.MaxForwards() = sip.MaxForwardsHeader(0)
					if res := dlgFinal(t, dlgStart(t, snd, req)); res.StatusCode != 483 {
						t.Errorf("%s with Max-Forwards 0 answered %d, want 483", method, res.StatusCode)
					}
				}
				synctest.Wait()
				if n := len(far.ua.Incoming(dlgInDialog())) - before; n != 0 {
					t.Errorf("%d requests with Max-Forwards 0 were relayed to the %s", n, far.name)
				}
			})
		})
	}
}

// TestDialogByeReason: a BYE's Reason (RFC 3326) reaches the other side
// on the BYE the PBX sends it.
func TestDialogByeReason(t *testing.T) {
	for _, dir := range []string{"caller", "callee"} {
		t.Run(dir, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newDlgEnv(t)
				c := e.establish(dlgSDP("offer-1"), nil)
				snd, far := c.sides(dir)
				const reason = `Q.850;cause=16;text="Normal call clearing"`
				req := snd.d.NewRequest(sip.BYE)
				req.AppendHeader(sip.NewHeader("Reason", reason))
				tx := dlgStart(t, snd, req)
				bye := dlgAwait(t, far.ua, testua.Method(sip.BYE))
				if h := bye.Request().GetHeaders("Reason"); len(h) != 1 || h[0].Value() != reason {
					t.Errorf("BYE at the %s with Reason %v, want %q", far.name, h, reason)
				}
				if res := dlgFinal(t, tx); res.StatusCode != 200 {
					t.Errorf("BYE answered %d", res.StatusCode)
				}
			})
		})
	}
}
