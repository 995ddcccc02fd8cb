package pbx_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"pbxlab/pbx"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// TestTransferAttendedWhileRinging: A (1000) talks to B (1001), holds B
// and calls C (1002), which rings; A REFERs B with Replaces naming its
// ringing call to C. The PBX ends that call (487 to A, C's ringing
// CANCELled) and transfers B blind to 1002: C rings again, answers, B and
// C talk, A gets NOTIFY 200 and BYE. Three records: A → C cancelled
// "transferred while ringing", A → B "transferred to 1002", B → C.
func TestTransferAttendedWhileRinging(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	in := startPBX(t, nil, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1002")
	ps["1002"].SetAnswer(phone.AnswerMode{Behaviour: phone.Manual})
	a1, b := talk(ctx, t, ps["1000"], ps["1001"])
	if err := a1.Hold(ctx); err != nil {
		t.Fatal(err)
	}
	a2, err := ps["1000"].Dial(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	c1 := ps["1002"].nextIncoming(ctx, t)
	if err := a2.WaitRinging(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() {
		code, _ := a1.TransferTo(ctx, a2)
		done <- code
	}()
	if _, err := a2.Wait(ctx); err != nil || a2.Code() != 487 {
		t.Fatalf("A's ringing call to C ended %d, %v; want 487", a2.Code(), err)
	}
	if end, err := c1.Wait(ctx); err != nil || end.By != phone.Remote {
		t.Errorf("C's first ringing = %+v, %v; want ended by the PBX", end, err)
	}
	c2 := ps["1002"].nextIncoming(ctx, t)
	if got := c2.Remote(); got != "1001" {
		t.Errorf("C rings again showing %q, want B's number 1001", got)
	}
	if err := c2.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != 200 {
		t.Fatalf("transfer = %d; want 200", code)
	}
	if end, err := a1.Wait(ctx); err != nil || end.Reason != phone.ReasonBye || end.By != phone.Remote {
		t.Errorf("A's call with B end = %+v, %v; want BYE from the PBX", end, err)
	}
	b.ExpectIdentity(phone.IdentityFor("1002"))
	actx, acancel := context.WithTimeout(ctx, 5*time.Second)
	defer acancel()
	if _, err := b.TwoWayAudio(actx); err != nil {
		t.Errorf("B does not hear C: %v", err)
	}
	if err := b.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	recs := waitCDRs(ctx, t, in, func(r []pbx.CDR) bool {
		if len(r) != 3 {
			return false
		}
		for _, x := range r {
			if x.Disposition == pbx.InProgress {
				return false
			}
		}
		return true
	})
	var ringing, transferred, joined bool
	for _, r := range recs {
		switch {
		case r.Disposition == pbx.Cancelled && strings.HasPrefix(r.Reason, "transferred while ringing"):
			ringing = true
		case r.Reason == "transferred to 1002":
			transferred = true
		case r.Caller == "1001" && r.Callee == "1002" && r.Disposition == pbx.Answered:
			joined = true
		}
	}
	if !ringing || !transferred || !joined {
		t.Errorf("records %+v", recs)
	}
}

// TestTransferReplacingSomebodyElsesRingingCall: a Replaces naming a
// ringing call the transferor is not the caller of gets NOTIFY 403; that
// call rings on and the transferor's call goes on.
func TestTransferReplacingSomebodyElsesRingingCall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	in := startPBX(t, nil, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1002", "1003")
	ps["1002"].SetAnswer(phone.AnswerMode{Behaviour: phone.Manual})
	a, b := talk(ctx, t, ps["1000"], ps["1001"])
	other, err := ps["1003"].Dial(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	c := ps["1002"].nextIncoming(ctx, t)
	if err := other.WaitRinging(ctx); err != nil {
		t.Fatal(err)
	}
	code, err := a.ReferRaw(ctx, "<sip:1002@example.com?Replaces="+url.QueryEscape(other.ReplacesValue())+">")
	if code != 403 || err != nil {
		t.Errorf("REFER replacing 1003's ringing call = %d, %v; want NOTIFY 403", code, err)
	}
	if err := c.Answer(ctx); err != nil {
		t.Fatalf("1003's call no longer rings: %v", err)
	}
	if err := other.WaitAnswer(ctx); err != nil {
		t.Errorf("1003's call: %v", err)
	}
	actx, acancel := context.WithTimeout(ctx, 5*time.Second)
	defer acancel()
	if _, err := b.TwoWayAudio(actx); err != nil {
		t.Errorf("B no longer hears A: %v", err)
	}
	for _, x := range []*phone.Call{a, other} {
		if err := x.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
	}
	waitCDRs(ctx, t, in, func(r []pbx.CDR) bool {
		return len(r) == 2 && r[0].Disposition == pbx.Answered && r[1].Disposition == pbx.Answered
	})
}
