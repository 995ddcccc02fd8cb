package call_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/pbxtest/vnet"
)

// TestDialogByeOvertakesAck: with a late offer, the caller's BYE reaches
// the PBX before the ACK that carries its answer (UDP and sipgo's
// per-request goroutines reorder them): the callee must still get the
// PBX's ACK, with the answer, before its BYE.
func TestDialogByeOvertakesAck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newDlgEnv(t)
		c := e.ring(nil)
		offer, answer := sdp("callee-offer"), sdp("caller-answer")
		ok := c.in.NewResponse(200, "OK")
		testua.SetBody(ok, "application/sdp", offer)
		respond(t, c.in, ok)
		if res := final(t, c.inv); res.StatusCode != 200 {
			t.Fatalf("INVITE answered %d", res.StatusCode)
		}
		cd := c.inv.Dialog()
		bye := startReq(t, side{"caller", e.caller, cd}, cd.NewRequest(sip.BYE))
		synctest.Wait() // the PBX has the BYE, not yet the ACK
		time.Sleep(ackWait / 5)
		if _, err := c.inv.Ack(answer); err != nil {
			t.Fatal(err)
		}
		ack := awaitAckRecord(t, c.in)
		bodyIs(t, "ACK at the callee", ack.Request(), "application/sdp", answer)
		in := await(t, e.callee, testua.Method(sip.BYE))
		if in.Record().Seq < ack.Seq {
			t.Errorf("the callee got its BYE (#%d) before the ACK with the answer (#%d)", in.Record().Seq, ack.Seq)
		}
		if d := in.Record().At.Sub(ack.At); d != 0 {
			t.Errorf("the callee got its BYE %v after the ACK, want at once: the held BYE runs when the ACK arrives", d)
		}
		if res := final(t, bye); res.StatusCode != 200 {
			t.Errorf("BYE answered %d", res.StatusCode)
		}
	})
}

// TestDialogByeWithoutAck: a BYE whose ACK never comes is not held for
// ever: after AckWait the PBX answers it and ends the call.
func TestDialogByeWithoutAck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newDlgEnv(t)
		c := e.ring(sdp("offer-1"))
		ok := c.in.NewResponse(200, "OK")
		testua.SetBody(ok, "application/sdp", sdp("answer-1"))
		respond(t, c.in, ok)
		final(t, c.inv)
		awaitAck(t, c.in)
		cd := c.inv.Dialog()
		sent := time.Now()
		res := final(t, startReq(t, side{"caller", e.caller, cd}, cd.NewRequest(sip.BYE))) // no ACK, ever
		if res.StatusCode != 200 || time.Since(sent) != ackWait {
			t.Errorf("BYE answered %d after %v, want 200 after AckWait = %v", res.StatusCode, time.Since(sent), ackWait)
		}
		in := await(t, e.callee, testua.Method(sip.BYE))
		if at := in.Record().At.Sub(sent); at != ackWait {
			t.Errorf("the callee got its BYE after %v, want AckWait = %v", at, ackWait)
		}
		if recs := dlgCDRs(t, e.h); len(recs) != 1 || recs[0].Disposition != pbx.Answered || recs[0].Reason != "caller hung up" {
			t.Errorf("CDRs %+v", recs)
		}
	})
}

// TestDialogPBXByeWaitsForAck: a Policy.OnAnswer that hangs up at once
// makes the PBX end the call; its BYE to the caller waits for the caller's
// ACK of the 200 (RFC 3261 §15), or, when no ACK ever comes, for the 200's
// retransmissions to give up at 64*T1. The callee, ACKed at once, gets its
// BYE at once.
func TestDialogPBXByeWaitsForAck(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ackAt time.Duration // 0: never
	}{{"ACK after 2s", 2 * time.Second}, {"no ACK", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newDlgEnv(t, vnet.WithPBXOptions(pbx.WithCallOptions(call.WrapPolicy(func(base call.Policy) call.Policy {
					f := delegate(base)
					f.OnAnswerFunc = func(_ context.Context, a call.Answered) { a.Call.Hangup("no credit") }
					return f
				}))))
				c := e.ring(sdp("offer-1"))
				ok := c.in.NewResponse(200, "OK")
				testua.SetBody(ok, "application/sdp", sdp("answer-1"))
				respond(t, c.in, ok)
				if res := final(t, c.inv); res.StatusCode != 200 {
					t.Fatalf("INVITE answered %d", res.StatusCode)
				}
				answered := time.Now()
				calleeBye := await(t, e.callee, testua.Method(sip.BYE))
				if at := calleeBye.Record().At.Sub(answered); at != 0 {
					t.Errorf("the callee got its BYE %v after the answer, want at once", at)
				}
				want := 64 * t1
				if tc.ackAt > 0 {
					time.Sleep(tc.ackAt)
					if _, err := c.inv.Ack(nil); err != nil {
						t.Fatal(err)
					}
					want = tc.ackAt
				}
				bye := await(t, e.caller, testua.Method(sip.BYE))
				if at := bye.Record().At.Sub(answered); at != want {
					t.Errorf("the caller got the PBX's BYE %v after its 200, want %v", at, want)
				}
				if recs := dlgCDRs(t, e.h); len(recs) != 1 || recs[0].Reason != "no credit" {
					t.Errorf("CDRs %+v", recs)
				}
			})
		})
	}
}
