package call_test

import (
	"bytes"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx"
)

// TestDialogLateOfferInitialInvite: an INVITE without SDP reaches the
// callee without SDP; the callee's 200 carries the offer, which the caller
// gets in its 200; the PBX holds the callee's ACK (a retransmitted 200
// meanwhile gets none) until the caller's ACK brings the answer, then ACKs
// the callee with it. When the callee retransmits its 200 (that ACK lost),
// right away or after the PBX's client transaction is long gone, it gets
// the same ACK, answer included, again.
func TestDialogLateOfferInitialInvite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newDlgEnv(t)
		c := e.ring(nil)
		dlgBodyIs(t, "INVITE at the callee", c.in.Request(), "", nil)
		offer, answer := dlgSDP("callee-offer"), dlgSDP("caller-answer")
		ok := c.in.NewResponse(200, "OK")
		testua.SetBody(ok, "application/sdp", offer)
		dlgRespond(t, c.in, ok)
		res := dlgFinal(t, c.inv)
		if res.StatusCode != 200 {
			t.Fatalf("INVITE answered %d", res.StatusCode)
		}
		dlgBodyIs(t, "200 at the caller", res, "application/sdp", offer)

		time.Sleep(200 * time.Millisecond) // the caller takes its time to answer
		dlgRespond(t, c.in, ok)            // and the callee retransmits its 200 meanwhile
		synctest.Wait()
		if acks := dlgAcksOf(e.callee, 1); len(acks) != 0 {
			t.Fatalf("the callee was ACKed before the caller answered: %q", acks[0].Raw)
		}
		if _, err := c.inv.Ack(answer); err != nil {
			t.Fatal(err)
		}
		first := dlgAwaitAckRecord(t, c.in)
		dlgBodyIs(t, "ACK at the callee", first.Request(), "application/sdp", answer)
		if n := first.Request().CSeq().SeqNo; n != 1 {
			t.Errorf("ACK CSeq %d, want the INVITE's 1", n)
		}

		for _, after := range []time.Duration{0, 40 * time.Second} {
			time.Sleep(after)
			dlgRespond(t, c.in, ok) // the 200 again: the callee did not get the ACK
			again := dlgAwaitAckRecord(t, c.in)
			if !bytes.Equal(again.Raw, first.Raw) {
				t.Errorf("retransmitted 200 after %v was ACKed with\n%s\nwant the same ACK\n%s", after, again.Raw, first.Raw)
			}
		}
	})
}

// TestDialogReInvite2xxRetransmitted: the PBX's 200 to a re-INVITE (from
// either side) that no ACK answers is retransmitted over UDP at T1, 2T1,
// 4T1 ... capped at T2; after 64*T1 the call ends with BYE on both legs and
// a CDR saying so.
func TestDialogReInvite2xxRetransmitted(t *testing.T) {
	for _, dir := range []string{"caller", "callee"} {
		t.Run(dir, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newDlgEnv(t)
				c := e.establish(dlgSDP("offer-1"), nil)
				snd, far := c.sides(dir)
				re := snd.d.NewRequest(sip.INVITE)
				testua.SetBody(re, "application/sdp", dlgSDP("reoffer"))
				dlgStart(t, snd, re)
				in := dlgAwait(t, far.ua, testua.And(testua.Method(sip.INVITE), dlgInDialog()))
				ok := in.NewResponse(200, "OK")
				testua.SetBody(ok, "application/sdp", dlgSDP("reanswer"))
				dlgRespond(t, in, ok)
				// the sender never ACKs
				dlgAssertNoAckEnd(t, e, snd.ua, testua.And(testua.Status(200), testua.CSeq(re.CSeq().SeqNo)))
			})
		})
	}
}

// TestDialogInitial2xxRetransmitted: the caller never ACKs the 200 of its
// INVITE: the PBX retransmits it at exactly 0.5, 1.5, 3.5, 7.5, 11.5 ... s
// (T1 = 500 ms doubling, capped at T2 = 4 s) and ends the call after 64*T1.
func TestDialogInitial2xxRetransmitted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newDlgEnv(t)
		c := e.ring(dlgSDP("offer-1"))
		ok := c.in.NewResponse(200, "OK")
		testua.SetBody(ok, "application/sdp", dlgSDP("answer-1"))
		dlgRespond(t, c.in, ok)
		dlgAwaitAck(t, c.in) // the PBX ACKs the callee; the caller does not ACK the PBX
		dlgAssertNoAckEnd(t, e, e.caller, testua.And(testua.Status(200), testua.CSeqMethod(sip.INVITE), testua.CSeq(1)))
	})
}

// dlgAssertNoAckEnd checks what follows a 2xx the PBX sent to u that u never
// ACKs: the 2xx (matched by ok) arrives at 0, T1, 3T1, 7T1, then every T2
// (the interval doubles from T1 and is capped at T2, RFC 3261 §13.3.1.4),
// the last before 64*T1; at 64*T1 both legs get a BYE and the CDR says "no
// ACK".
func dlgAssertNoAckEnd(t *testing.T, e *dlgEnv, u *testua.UA, ok testua.Matcher) {
	t.Helper()
	ctx, cancel := dlgWaitCtx(t)
	defer cancel()
	var byes []*testua.Record
	for _, ua := range []*testua.UA{e.caller, e.callee} {
		bye, err := ua.Await(ctx, testua.Method(sip.BYE))
		if err != nil {
			t.Fatalf("no BYE: %v", err)
		}
		byes = append(byes, bye)
	}
	oks := u.Received(ok)
	if len(oks) == 0 {
		t.Fatal("no 200")
	}
	t0 := oks[0].At
	var want []time.Duration
	for at, iv := time.Duration(0), dlgT1; at < 64*dlgT1; at, iv = at+iv, min(2*iv, dlgT2) {
		want = append(want, at)
	}
	if got := dlgSince(t0, oks); !slices.Equal(got, want) {
		t.Errorf("200 sent at %v, want %v", got, want)
	}
	if got := dlgSince(t0, byes); !slices.Equal(got, []time.Duration{64 * dlgT1, 64 * dlgT1}) {
		t.Errorf("BYEs to caller and callee at %v, want both at 64*T1 = %v", got, 64*dlgT1)
	}
	recs := dlgCDRs(t, e.h)
	if len(recs) != 1 || recs[0].Disposition != pbx.Answered || recs[0].Reason != "no ACK" || recs[0].End.Sub(t0) != 64*dlgT1 {
		t.Errorf("CDRs %+v, want one ANSWERED ended at 64*T1 for want of an ACK", recs)
	}
}

// TestDialogStrayReInvite2xx: when the callee retransmits its 200 to a
// re-INVITE after the PBX's client transaction is over, the PBX ACKs it
// again with the re-INVITE's CSeq, not the initial INVITE's.
func TestDialogStrayReInvite2xx(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newDlgEnv(t)
		c := e.establish(dlgSDP("offer-1"), nil)
		re := c.cd.NewRequest(sip.INVITE)
		testua.SetBody(re, "application/sdp", dlgSDP("reoffer"))
		tx := dlgStart(t, dlgSide{"caller", e.caller, c.cd}, re)
		in := dlgAwait(t, e.callee, testua.And(testua.Method(sip.INVITE), dlgInDialog()))
		seq := in.Request().CSeq().SeqNo
		if seq == 1 {
			t.Fatalf("re-INVITE with CSeq %d, the initial INVITE's", seq)
		}
		ok := in.NewResponse(200, "OK")
		testua.SetBody(ok, "application/sdp", dlgSDP("reanswer"))
		dlgRespond(t, in, ok)
		first := dlgAwaitAckRecord(t, in)
		dlgFinal(t, tx)
		if _, err := tx.Ack(nil); err != nil {
			t.Fatal(err)
		}
		for _, after := range []time.Duration{0, 40 * time.Second} {
			time.Sleep(after)
			dlgRespond(t, in, ok)
			again := dlgAwaitAckRecord(t, in)
			if n := again.Request().CSeq().SeqNo; n != seq || !bytes.Equal(again.Raw, first.Raw) {
				t.Errorf("retransmitted 200 (CSeq %d) after %v ACKed with CSeq %d:\n%s\nwant the same ACK\n%s", seq, after, n, again.Raw, first.Raw)
			}
		}
		synctest.Wait()
		if n := len(dlgAcksOf(e.callee, 1)); n != 1 {
			t.Errorf("the callee got %d ACKs with CSeq 1, want only the first", n)
		}
	})
}
