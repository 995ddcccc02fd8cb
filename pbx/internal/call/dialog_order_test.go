package call_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"
	pionsdp "github.com/pion/sdp/v3"

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
		offer, answer := dlgSDP("callee-offer"), dlgSDP("caller-answer")
		ok := c.in.NewResponse(200, "OK")
		testua.SetBody(ok, "application/sdp", offer)
		dlgRespond(t, c.in, ok)
		if res := dlgFinal(t, c.inv); res.StatusCode != 200 {
			t.Fatalf("INVITE answered %d", res.StatusCode)
		}
		cd := c.inv.Dialog()
		bye := dlgStart(t, dlgSide{"caller", e.caller, cd}, cd.NewRequest(sip.BYE))
		synctest.Wait() // the PBX has the BYE, not yet the ACK
		time.Sleep(dlgAckWait / 5)
		if _, err := c.inv.Ack(answer); err != nil {
			t.Fatal(err)
		}
		ack := dlgAwaitAckRecord(t, c.in)
		dlgBodyIs(t, "ACK at the callee", ack.Request(), "application/sdp", answer)
		in := dlgAwait(t, e.callee, testua.Method(sip.BYE))
		if in.Record().Seq < ack.Seq {
			t.Errorf("the callee got its BYE (#%d) before the ACK with the answer (#%d)", in.Record().Seq, ack.Seq)
		}
		if d := in.Record().At.Sub(ack.At); d != 0 {
			t.Errorf("the callee got its BYE %v after the ACK, want at once: the held BYE runs when the ACK arrives", d)
		}
		if res := dlgFinal(t, bye); res.StatusCode != 200 {
			t.Errorf("BYE answered %d", res.StatusCode)
		}
	})
}

// TestDialogByeWithoutAck: a BYE whose ACK never comes is not held for
// ever: after AckWait the PBX answers it and ends the call.
func TestDialogByeWithoutAck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newDlgEnv(t)
		c := e.ring(dlgSDP("offer-1"))
		ok := c.in.NewResponse(200, "OK")
		testua.SetBody(ok, "application/sdp", dlgSDP("answer-1"))
		dlgRespond(t, c.in, ok)
		dlgFinal(t, c.inv)
		dlgAwaitAck(t, c.in)
		cd := c.inv.Dialog()
		sent := time.Now()
		res := dlgFinal(t, dlgStart(t, dlgSide{"caller", e.caller, cd}, cd.NewRequest(sip.BYE))) // no ACK, ever
		if res.StatusCode != 200 || time.Since(sent) != dlgAckWait {
			t.Errorf("BYE answered %d after %v, want 200 after AckWait = %v", res.StatusCode, time.Since(sent), dlgAckWait)
		}
		in := dlgAwait(t, e.callee, testua.Method(sip.BYE))
		if at := in.Record().At.Sub(sent); at != dlgAckWait {
			t.Errorf("the callee got its BYE after %v, want AckWait = %v", at, dlgAckWait)
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
				c := e.ring(dlgSDP("offer-1"))
				ok := c.in.NewResponse(200, "OK")
				testua.SetBody(ok, "application/sdp", dlgSDP("answer-1"))
				dlgRespond(t, c.in, ok)
				if res := dlgFinal(t, c.inv); res.StatusCode != 200 {
					t.Fatalf("INVITE answered %d", res.StatusCode)
				}
				answered := time.Now()
				calleeBye := dlgAwait(t, e.callee, testua.Method(sip.BYE))
				if at := calleeBye.Record().At.Sub(answered); at != 0 {
					t.Errorf("the callee got its BYE %v after the answer, want at once", at)
				}
				want := 64 * dlgT1
				if tc.ackAt > 0 {
					time.Sleep(tc.ackAt)
					if _, err := c.inv.Ack(nil); err != nil {
						t.Fatal(err)
					}
					want = tc.ackAt
				}
				bye := dlgAwait(t, e.caller, testua.Method(sip.BYE))
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

// TestDialogLateOfferNeverAnswered: a 2xx carrying an offer (the answer
// to an INVITE or re-INVITE without SDP) whose answer never comes because
// the other side hangs up, or never ACKs, is still ACKed before the PBX's
// BYE (RFC 3261 §13.2.2.4: every 2xx is ACKed, with an answer when it
// carried an offer): the ACK carries an answer that declines every stream.
func TestDialogLateOfferNeverAnswered(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reInv string        // "": the initial INVITE; else who sends the re-INVITE
		bye   bool          // the sender hangs up instead of ACKing
		byeAt time.Duration // when the far side gets its ACK and BYE
	}{
		{name: "INVITE, BYE before any ACK", bye: true, byeAt: dlgAckWait},
		{name: "INVITE, no ACK", byeAt: 64 * dlgT1},
		{name: "re-INVITE from caller, no ACK", reInv: "caller", byeAt: 64 * dlgT1},
		{name: "re-INVITE from callee, no ACK", reInv: "callee", byeAt: 64 * dlgT1},
		{name: "re-INVITE from caller, BYE before any ACK", reInv: "caller", bye: true, byeAt: dlgAckWait},
		{name: "re-INVITE from callee, BYE before any ACK", reInv: "callee", bye: true, byeAt: dlgAckWait},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newDlgEnv(t)
				offer := dlgSDP("offer-never-answered")
				var snd, far dlgSide
				var in *testua.Incoming
				var tx *testua.ClientTx
				if tc.reInv == "" {
					c := e.ring(nil)
					snd, far, in, tx = dlgSide{"caller", e.caller, nil}, dlgSide{"callee", e.callee, nil}, c.in, c.inv
				} else {
					c := e.establish(dlgSDP("offer-1"), nil)
					snd, far = c.sides(tc.reInv)
					tx = dlgStart(t, snd, snd.d.NewRequest(sip.INVITE))
					in = dlgAwait(t, far.ua, testua.And(testua.Method(sip.INVITE), dlgInDialog()))
				}
				ok := in.NewResponse(200, "OK")
				testua.SetBody(ok, "application/sdp", offer)
				dlgRespond(t, in, ok)
				dlgFinal(t, tx)
				sent := time.Now()
				if tc.bye {
					d := tx.Dialog()
					dlgStart(t, dlgSide{snd.name, snd.ua, d}, d.NewRequest(sip.BYE))
				}
				bye := dlgAwait(t, far.ua, testua.Method(sip.BYE))
				if at := bye.Record().At.Sub(sent); at != tc.byeAt {
					t.Errorf("the %s got its BYE after %v, want %v", far.name, at, tc.byeAt)
				}
				acks := dlgAcksOf(far.ua, in.Request().CSeq().SeqNo)
				if len(acks) != 1 || acks[0].Seq > bye.Record().Seq {
					t.Fatalf("the %s got %d ACKs for its 200 before its BYE, want 1", far.name, len(acks))
				}
				dlgAssertDeclines(t, acks[0].Request(), offer)
				if tc.bye {
					// the sender's ACK with its answer comes after all: too late
					if _, err := tx.Ack(dlgSDP("late-answer")); err != nil {
						t.Fatal(err)
					}
					time.Sleep(time.Minute)
					if n := len(dlgAcksOf(far.ua, in.Request().CSeq().SeqNo)); n != 1 {
						t.Errorf("the %s got %d ACKs, want only the declining one", far.name, n)
					}
				}
			})
		})
	}
}

// dlgAssertDeclines fails t unless ack carries an SDP answer to offer that
// rejects every stream (port 0, RFC 3264 §6).
func dlgAssertDeclines(t *testing.T, ack *sip.Request, offer []byte) {
	t.Helper()
	var o, a pionsdp.SessionDescription
	if err := o.Unmarshal(offer); err != nil {
		t.Fatal(err)
	}
	if err := a.Unmarshal(ack.Body()); err != nil {
		t.Fatalf("ACK without a valid SDP answer (%v):\n%s", err, ack)
	}
	if len(a.MediaDescriptions) != len(o.MediaDescriptions) {
		t.Fatalf("answer with %d streams to an offer of %d", len(a.MediaDescriptions), len(o.MediaDescriptions))
	}
	for i, m := range a.MediaDescriptions {
		if m.MediaName.Port.Value != 0 {
			t.Errorf("stream %d answered on port %d, want 0 (declined)", i, m.MediaName.Port.Value)
		}
	}
}
