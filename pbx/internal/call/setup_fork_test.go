package call_test

import (
	"bytes"
	"testing"
	"testing/synctest"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/sdp/v3"

	"pbxlab/internal/testua"
)

// reasonElsewhere is the Reason the PBX puts on the CANCEL of a losing
// fork (RFC 3326).
const reasonElsewhere = `SIP ;cause=200 ;text="Call completed elsewhere"`

// TestSetupForkSiblingAnswers: one contact is a forking proxy: 180 comes
// from one downstream UA (To tag A), 200 from another (tag B). The PBX
// takes B, a sibling of the early dialog A: it ACKs B, and the call's
// in-dialog requests go to B.
func TestSetupForkSiblingAnswers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSetupRig(t, trustedCallers())
		a, b := r.ua("1000"), r.callee("1001")
		b.SetAuto(testua.DefaultAuto &^ testua.AutoRinging)
		tx := r.invite(a, "1001", a.Offer(), nil)
		in := r.incoming(b, testua.Method(sip.INVITE))
		const tagA = "fork-a"
		ringing := in.NewResponse(180, "Ringing")
		ringing.To().Params.Add("tag", tagA)
		r.respond(in, ringing)
		r.await(a, testua.And(testua.Of(tx.Request()), testua.Status(180)))

		ok, err := in.Answer() // tag B: the UA's own
		if err != nil {
			t.Fatal(err)
		}
		r.respond(in, ok)
		if res := r.final(tx); res.StatusCode != 200 {
			t.Fatalf("caller got %d", res.StatusCode)
		}
		r.ack(tx, nil)
		ack := r.await(b, testua.Method(sip.ACK)).Request()
		if toTag(ack) != in.Tag() {
			t.Fatalf("PBX ACKed To tag %q, want the answering fork's %q", toTag(ack), in.Tag())
		}
		// the call works on dialog B: INFO and BYE from the caller reach it
		info := tx.Dialog().NewRequest(sip.INFO)
		testua.SetBody(info, "application/dtmf-relay", []byte("Signal=5\r\nDuration=160\r\n"))
		itx, err := tx.Dialog().Start(info)
		if err != nil {
			t.Fatal(err)
		}
		if res := r.final(itx); res.StatusCode != 200 {
			t.Errorf("INFO in the call answered by the sibling: %d, want the callee's 200", res.StatusCode)
		}
		for _, got := range b.Incoming(testua.Method(sip.INFO)) {
			if toTag(got.Request()) != in.Tag() || got.Request().CallID().Value() != in.Request().CallID().Value() {
				t.Errorf("INFO reached the callee in dialog %s/%s, want %s/%s", got.Request().CallID().Value(), toTag(got.Request()), in.Request().CallID().Value(), in.Tag())
			}
		}
		r.bye(tx.Dialog())
		r.incoming(b, testua.And(testua.Method(sip.BYE), testua.ToTag(in.Tag())), "BYE of the answering sibling's dialog")
		// The early dialog A, which never answered, also gets a BYE at the
		// end of the call (RFC 3261 §15 allows a BYE in an early dialog);
		// not asserted either way.
	})
}

// TestSetupForkSecond2xxSameBranch: after the PBX took a 2xx, a downstream
// fork of the same INVITE answers too (another To tag): that dialog is ACKed
// then BYEd, and the caller sees one 200 only.
func TestSetupForkSecond2xxSameBranch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSetupRig(t, trustedCallers())
		a, b := r.ua("1000"), r.callee("1001")
		tx := r.invite(a, "1001", a.Offer(), nil)
		in := r.incoming(b, testua.Method(sip.INVITE))
		first, err := in.Answer()
		if err != nil {
			t.Fatal(err)
		}
		r.respond(in, first)
		if res := r.final(tx); res.StatusCode != 200 {
			t.Fatalf("caller got %d", res.StatusCode)
		}
		r.ack(tx, nil)
		if ack := r.await(b, testua.Method(sip.ACK)).Request(); toTag(ack) != in.Tag() {
			t.Fatalf("first 2xx ACKed with To tag %q", toTag(ack))
		}

		const tagC = "fork-c"
		second, err := in.Answer()
		if err != nil {
			t.Fatal(err)
		}
		second.To().Params.Add("tag", tagC)
		r.respond(in, second)
		ack := r.await(b, testua.And(testua.Method(sip.ACK), testua.ToTag(tagC)), "ACK of the unwanted 2xx")
		bye := r.await(b, testua.And(testua.Method(sip.BYE), testua.ToTag(tagC)), "BYE of the unwanted dialog")
		if bye.Seq < ack.Seq {
			t.Errorf("BYE (#%d) before ACK (#%d) on the unwanted dialog", bye.Seq, ack.Seq)
		}
		if ack.Request().CSeq().SeqNo != in.Request().CSeq().SeqNo {
			t.Errorf("ACK CSeq %d, want the INVITE's %d", ack.Request().CSeq().SeqNo, in.Request().CSeq().SeqNo)
		}
		synctest.Wait()
		oks := a.Received(testua.And(testua.CSeqMethod(sip.INVITE), testua.StatusRange(200, 299)))
		if len(oks) != 1 {
			t.Errorf("caller got %d 2xx, want 1: %v", len(oks), codesOf(oks))
		}
		// the call on the first dialog is untouched
		if n := len(b.Received(testua.And(testua.Method(sip.BYE), testua.ToTag(in.Tag())))); n != 0 {
			t.Errorf("the answered dialog got BYE")
		}
		r.bye(tx.Dialog())
		r.await(b, testua.And(testua.Method(sip.BYE), testua.ToTag(in.Tag())))
	})
}

// TestSetupForkLate2xxCrossesCancel: two contacts ring; the first answers;
// the second gets CANCEL with Reason cause=200 but answers 200 anyway (its
// 2xx crosses the CANCEL): the PBX ACKs that 2xx, then BYEs it.
func TestSetupForkLate2xxCrossesCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSetupRig(t, trustedCallers())
		a, b1, b2 := r.ua("1000"), r.callee("1001"), r.callee("1001")
		b2.SetAuto(testua.DefaultAuto &^ testua.AutoCancel)
		tx := r.invite(a, "1001", a.Offer(), nil)
		in1 := r.incoming(b1, testua.Method(sip.INVITE))
		in2 := r.incoming(b2, testua.Method(sip.INVITE))
		go func() { _ = r.answer(in1) }()
		if res := r.final(tx); res.StatusCode != 200 {
			t.Fatalf("caller got %d", res.StatusCode)
		}
		r.ack(tx, nil)

		cancel, err := in2.AwaitCancel(r.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := headerValues(cancel.Request(), "Reason"); len(got) != 1 || got[0] != reasonElsewhere {
			t.Errorf("CANCEL Reason %q, want %q", got, reasonElsewhere)
		}
		late, err := in2.Answer()
		if err != nil {
			t.Fatal(err)
		}
		r.respond(in2, late)            // the 2xx crosses the CANCEL
		_ = cancel.Reply(200, "OK")     // and the CANCEL is answered after it
		ack, err := in2.AwaitAck(r.ctx) // the PBX ACKs the late 2xx ...
		if err != nil {
			t.Fatalf("ACK of the losing fork's late 2xx: %v", err)
		}
		bye := r.incoming(b2, testua.Method(sip.BYE), "BYE of the losing fork") // ... then ends it
		if bye.Record().Seq < ack.Seq || toTag(bye.Request()) != in2.Tag() {
			t.Errorf("BYE #%d tag %q after ACK #%d, want after it on tag %q", bye.Record().Seq, toTag(bye.Request()), ack.Seq, in2.Tag())
		}
		synctest.Wait()
		if n := len(a.Received(testua.And(testua.CSeqMethod(sip.INVITE), testua.StatusRange(200, 299)))); n != 1 {
			t.Errorf("caller got %d 2xx, want 1", n)
		}
		if n := len(b1.Received(testua.Method(sip.BYE))); n != 0 {
			t.Errorf("the winning fork got BYE")
		}
		r.bye(tx.Dialog())
		r.incoming(b1, testua.Method(sip.BYE))
	})
}

// TestSetupForkLate2xxOfferDeclined: the caller sent no offer, so each fork
// offers in its 2xx. The losing fork's late 2xx is ACKed with an answer
// that rejects every stream (port 0), then BYEd.
func TestSetupForkLate2xxOfferDeclined(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSetupRig(t, trustedCallers())
		a, b1, b2 := r.ua("1000"), r.callee("1001"), r.callee("1001")
		b2.SetAuto(testua.DefaultAuto &^ testua.AutoCancel)
		tx := r.invite(a, "1001", nil, nil)
		in1 := r.incoming(b1, testua.Method(sip.INVITE))
		in2 := r.incoming(b2, testua.Method(sip.INVITE))
		if len(in1.Request().Body()) != 0 || len(in2.Request().Body()) != 0 {
			t.Fatal("late-offer INVITE reached a fork with a body")
		}
		offer1, err := in1.Answer() // an offer: the INVITE had none
		if err != nil {
			t.Fatal(err)
		}
		r.respond(in1, offer1)
		res := r.final(tx)
		if res.StatusCode != 200 || !bytes.Equal(res.Body(), offer1.Body()) {
			t.Fatalf("caller got %d with %q, want 200 with the fork's offer", res.StatusCode, res.Body())
		}
		answer, err := a.Answer(res.Body())
		if err != nil {
			t.Fatal(err)
		}
		r.ack(tx, answer)
		ack1, err := in1.AwaitAck(r.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ack1.Request().Body(), answer) {
			t.Errorf("winner's ACK carries %q, want the caller's answer", ack1.Request().Body())
		}

		cancel, err := in2.AwaitCancel(r.ctx)
		if err != nil {
			t.Fatal(err)
		}
		offer2, err := in2.Answer()
		if err != nil {
			t.Fatal(err)
		}
		r.respond(in2, offer2)
		_ = cancel.Reply(200, "OK")
		ack2, err := in2.AwaitAck(r.ctx)
		if err != nil {
			t.Fatal(err)
		}
		body := ack2.Request().Body()
		var desc sdp.SessionDescription
		if err := desc.Unmarshal(body); err != nil {
			t.Fatalf("losing fork's ACK body %q: %v", body, err)
		}
		var offered sdp.SessionDescription
		if err := offered.Unmarshal(offer2.Body()); err != nil {
			t.Fatal(err)
		}
		if len(desc.MediaDescriptions) != len(offered.MediaDescriptions) || len(desc.MediaDescriptions) == 0 {
			t.Fatalf("answer has %d streams, the offer %d", len(desc.MediaDescriptions), len(offered.MediaDescriptions))
		}
		for i, md := range desc.MediaDescriptions {
			if md.MediaName.Port.Value != 0 {
				t.Errorf("stream %d answered on port %d, want 0 (declined)", i, md.MediaName.Port.Value)
			}
		}
		bye := r.incoming(b2, testua.Method(sip.BYE))
		if bye.Record().Seq < ack2.Seq {
			t.Errorf("BYE before the ACK")
		}
		r.bye(tx.Dialog())
		r.incoming(b1, testua.Method(sip.BYE))
	})
}

// TestSetupForkEarlyMediaFirstWins: two forks send 183 with SDP; the
// caller, which has one early dialog with the PBX, gets the first fork's
// SDP in a 183, and the second fork's 183 as a 180 without SDP.
func TestSetupForkEarlyMediaFirstWins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSetupRig(t, trustedCallers())
		a, b1, b2 := r.ua("1000"), r.callee("1001"), r.callee("1001")
		for _, u := range []*testua.UA{b1, b2} {
			u.SetAuto(testua.DefaultAuto &^ testua.AutoRinging)
		}
		tx := r.invite(a, "1001", a.Offer(), nil)
		in1 := r.incoming(b1, testua.Method(sip.INVITE))
		in2 := r.incoming(b2, testua.Method(sip.INVITE))
		early := func(in *testua.Incoming, u *testua.UA) []byte {
			t.Helper()
			sdp, err := u.Answer(in.Request().Body())
			if err != nil {
				t.Fatal(err)
			}
			res := in.NewResponse(183, "Session Progress")
			testua.SetBody(res, "application/sdp", sdp)
			r.respond(in, res)
			return sdp
		}
		sdp1 := early(in1, b1)
		first := r.await(a, testua.And(testua.Of(tx.Request()), testua.StatusRange(101, 199))).Response()
		if first.StatusCode != 183 || !bytes.Equal(first.Body(), sdp1) {
			t.Fatalf("caller got %d with %q, want 183 with the first fork's SDP %q", first.StatusCode, first.Body(), sdp1)
		}
		early(in2, b2)
		second := r.await(a, testua.And(testua.Of(tx.Request()), testua.StatusRange(101, 199))).Response()
		if second.StatusCode != 180 || len(second.Body()) != 0 {
			t.Errorf("second fork's 183 reached the caller as %d with %q, want 180 without SDP", second.StatusCode, second.Body())
		}
		if toTag(second) != toTag(first) {
			t.Errorf("the caller's early dialog changed tag: %q then %q", toTag(first), toTag(second))
		}
		if _, err := tx.Cancel(); err != nil {
			t.Fatal(err)
		}
		if res := r.final(tx); res.StatusCode != 487 {
			t.Errorf("cancelled INVITE: %d", res.StatusCode)
		}
		for _, in := range []*testua.Incoming{in1, in2} {
			if _, err := in.AwaitCancel(r.ctx); err != nil {
				t.Fatal(err)
			}
		}
	})
}
