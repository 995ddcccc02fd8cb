package call_test

import (
	"bytes"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
)

// TestDialogReInviteWithSDP: a re-INVITE with an offer, from either side,
// reaches the far side carrying exactly the sender's SDP (pass-through
// seam); the far side's 200 and its SDP reach the sender; the PBX ACKs the
// far side's 200 at once, and absorbs the sender's ACK (its own 2xx is no
// longer retransmitted, nothing is sent on for it).
func TestDialogReInviteWithSDP(t *testing.T) {
	for _, dir := range []string{"caller", "callee"} {
		t.Run(dir, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newDlgEnv(t)
				c := e.establish(dlgSDP("offer-1"), nil)
				snd, far := c.sides(dir)
				offer, answer := dlgSDP("reoffer-"+dir), dlgSDP("reanswer-"+dir)

				re := snd.d.NewRequest(sip.INVITE)
				testua.SetBody(re, "application/sdp", offer)
				tx := dlgStart(t, snd, re)
				in := dlgAwait(t, far.ua, testua.And(testua.Method(sip.INVITE), dlgInDialog()))
				dlgBodyIs(t, "re-INVITE at the "+far.name, in.Request(), "application/sdp", offer)

				ok := in.NewResponse(200, "OK")
				testua.SetBody(ok, "application/sdp", answer)
				dlgRespond(t, in, ok)
				res := dlgFinal(t, tx)
				if res.StatusCode != 200 {
					t.Fatalf("re-INVITE answered %d", res.StatusCode)
				}
				dlgBodyIs(t, "200 at the "+snd.name, res, "application/sdp", answer)
				ack := dlgAwaitAck(t, in)
				if n := ack.CSeq().SeqNo; n != in.Request().CSeq().SeqNo || len(ack.Body()) != 0 {
					t.Errorf("ACK CSeq %d with %d bytes, want the re-INVITE's %d without body", n, len(ack.Body()), in.Request().CSeq().SeqNo)
				}

				if _, err := tx.Ack(nil); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Minute) // well past 64*T1: a 2xx not matched to its ACK would end the call
				if n := len(snd.ua.Received(testua.And(testua.Status(200), testua.CSeq(re.CSeq().SeqNo)))); n != 1 {
					t.Errorf("the %s got the 200 %d times after its ACK, want once", snd.name, n)
				}
				if n := len(dlgAcksOf(far.ua, in.Request().CSeq().SeqNo)); n != 1 {
					t.Errorf("the %s got %d ACKs for the re-INVITE, want 1", far.name, n)
				}
				if n := len(e.caller.Received(testua.Method(sip.BYE))) + len(e.callee.Received(testua.Method(sip.BYE))); n != 0 {
					t.Errorf("%d BYEs: the call ended", n)
				}
			})
		})
	}
}

// TestDialogReInviteLateOffer: a re-INVITE without SDP, from either side,
// goes on without SDP; the far side's 200 carries its offer, which the
// sender gets in its 200; the PBX does not ACK that 200 (nor its
// retransmission) until the sender's ACK brings the answer, and then sends
// the far side its ACK carrying it, again for a later retransmission.
func TestDialogReInviteLateOffer(t *testing.T) {
	for _, dir := range []string{"caller", "callee"} {
		t.Run(dir, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newDlgEnv(t)
				c := e.establish(dlgSDP("offer-1"), nil)
				snd, far := c.sides(dir)
				offer, answer := dlgSDP("late-offer-"+dir), dlgSDP("late-answer-"+dir)

				re := snd.d.NewRequest(sip.INVITE)
				tx := dlgStart(t, snd, re)
				in := dlgAwait(t, far.ua, testua.And(testua.Method(sip.INVITE), dlgInDialog()))
				dlgBodyIs(t, "re-INVITE at the "+far.name, in.Request(), "", nil)
				ok := in.NewResponse(200, "OK")
				testua.SetBody(ok, "application/sdp", offer)
				dlgRespond(t, in, ok)
				res := dlgFinal(t, tx)
				if res.StatusCode != 200 {
					t.Fatalf("re-INVITE answered %d", res.StatusCode)
				}
				dlgBodyIs(t, "200 at the "+snd.name, res, "application/sdp", offer)

				time.Sleep(200 * time.Millisecond) // the sender takes its time to answer
				dlgRespond(t, in, ok)              // and the far side retransmits its 200 meanwhile
				synctest.Wait()
				seq := in.Request().CSeq().SeqNo
				if acks := dlgAcksOf(far.ua, seq); len(acks) != 0 {
					t.Fatalf("the PBX ACKed the %s's offer before it had the answer: %q", far.name, acks[0].Raw)
				}
				if _, err := tx.Ack(answer); err != nil {
					t.Fatal(err)
				}
				first := dlgAwaitAckRecord(t, in)
				dlgBodyIs(t, "ACK at the "+far.name, first.Request(), "application/sdp", answer)
				if n := first.Request().CSeq().SeqNo; n != seq {
					t.Errorf("ACK CSeq %d, want %d", n, seq)
				}
				dlgRespond(t, in, ok) // that ACK was lost: the 200 again
				if again := dlgAwaitAckRecord(t, in); !bytes.Equal(again.Raw, first.Raw) {
					t.Errorf("retransmitted 200 ACKed with\n%s\nwant the same ACK, answer included\n%s", again.Raw, first.Raw)
				}
				time.Sleep(time.Minute)
				if n := len(dlgAcksOf(far.ua, seq)); n != 2 {
					t.Errorf("the %s got %d ACKs, want 2 (one per 200)", far.name, n)
				}
				if n := len(e.caller.Received(testua.Method(sip.BYE))) + len(e.callee.Received(testua.Method(sip.BYE))); n != 0 {
					t.Errorf("%d BYEs: the call ended", n)
				}
			})
		})
	}
}

// TestDialogUpdateAndInfo: UPDATE (RFC 3311) with an offer and INFO (RFC
// 6086) with its body, Content-Type, Content-Disposition and Info-Package
// are relayed from either side, and their 200s (with the SDP answer, the
// INFO's response body) come back.
func TestDialogUpdateAndInfo(t *testing.T) {
	for _, dir := range []string{"caller", "callee"} {
		t.Run(dir, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newDlgEnv(t)
				c := e.establish(dlgSDP("offer-1"), nil)
				snd, far := c.sides(dir)

				offer, answer := dlgSDP("update-offer-"+dir), dlgSDP("update-answer-"+dir)
				up := snd.d.NewRequest(sip.UPDATE)
				testua.SetBody(up, "application/sdp", offer)
				tx := dlgStart(t, snd, up)
				in := dlgAwait(t, far.ua, testua.Method(sip.UPDATE))
				dlgBodyIs(t, "UPDATE at the "+far.name, in.Request(), "application/sdp", offer)
				ok := in.NewResponse(200, "OK")
				testua.SetBody(ok, "application/sdp", answer)
				dlgRespond(t, in, ok)
				res := dlgFinal(t, tx)
				if res.StatusCode != 200 {
					t.Fatalf("UPDATE answered %d", res.StatusCode)
				}
				dlgBodyIs(t, "200 to UPDATE at the "+snd.name, res, "application/sdp", answer)

				body := []byte("Signal=5\r\nDuration=160\r\n")
				info := snd.d.NewRequest(sip.INFO)
				testua.SetBody(info, "application/dtmf-relay", body)
				info.AppendHeader(sip.NewHeader("Content-Disposition", "signal;handling=required"))
				info.AppendHeader(sip.NewHeader("Info-Package", "dtmf"))
				tx = dlgStart(t, snd, info)
				in = dlgAwait(t, far.ua, testua.Method(sip.INFO))
				dlgBodyIs(t, "INFO at the "+far.name, in.Request(), "application/dtmf-relay", body)
				for name, want := range map[string]string{"Content-Disposition": "signal;handling=required", "Info-Package": "dtmf"} {
					if h := in.Request().GetHeader(name); h == nil || h.Value() != want {
						t.Errorf("INFO at the %s: %s %v, want %q", far.name, name, h, want)
					}
				}
				reply := []byte("ok\r\n")
				ok = in.NewResponse(200, "OK")
				testua.SetBody(ok, "text/plain", reply)
				dlgRespond(t, in, ok)
				res = dlgFinal(t, tx)
				if res.StatusCode != 200 {
					t.Fatalf("INFO answered %d", res.StatusCode)
				}
				dlgBodyIs(t, "200 to INFO at the "+snd.name, res, "text/plain", reply)
			})
		})
	}
}
