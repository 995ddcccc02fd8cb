package pbx_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// anchors are the two media paths a transfer must work over: the media
// server anchoring RTP (the bridge is re-pointed) and phone to phone (the
// transferee is re-INVITEd with the target's SDP).
var anchors = []struct {
	name string
	set  func(*config.Config)
}{
	{"relay", func(c *config.Config) {}},
	{"direct", func(c *config.Config) { c.Media.Anchor = config.AnchorDirect }},
}

// TestTransferBlind: A (1000) talks to B (1001), A transfers B to C
// (1002) with REFER; C rings showing B's number, answers, B and C hear
// each other, A gets NOTIFY 200 and BYE; the call leaves two records.
// Both directions: the transferor is the caller, then the callee.
func TestTransferBlind(t *testing.T) {
	for _, an := range anchors {
		for _, transferorCalls := range []bool{true, false} {
			name := an.name + "/transferor-callee"
			if transferorCalls {
				name = an.name + "/transferor-caller"
			}
			t.Run(name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
				defer cancel()
				in := startPBX(t, an.set, pbxtest.Options{})
				ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1002")
				var a, b *phone.Call
				if transferorCalls {
					a, b = talk(ctx, t, ps["1000"], ps["1001"])
				} else {
					b, a = talk(ctx, t, ps["1001"], ps["1000"])
				}
				code, err := a.Transfer(ctx, "1002")
				if err != nil || code != 200 {
					t.Fatalf("transfer = %d, %v; want 200", code, err)
				}
				c := ps["1002"].nextIncoming(ctx, t)
				if c.Remote() != "1001" {
					t.Errorf("the target sees %q calling, want the transferee 1001", c.Remote())
				}
				if end, err := a.Wait(ctx); err != nil || end.Reason != phone.ReasonBye || end.By != phone.Remote {
					t.Errorf("transferor end = %+v, %v; want BYE from the PBX", end, err)
				}
				b.ExpectIdentity(phone.IdentityFor("1002"))
				actx, acancel := context.WithTimeout(ctx, 5*time.Second)
				defer acancel()
				if _, err := b.TwoWayAudio(actx); err != nil {
					t.Errorf("B does not hear C: %v", err)
				}
				if _, err := c.TwoWayAudio(actx); err != nil {
					t.Errorf("C does not hear B: %v", err)
				}
				if err := c.Hangup(ctx); err != nil {
					t.Fatal(err)
				}
				if end, err := b.Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
					t.Errorf("transferee end = %+v, %v", end, err)
				}
				recs := waitCDRs(ctx, t, in, func(r []pbx.CDR) bool {
					return len(r) == 2 && r[0].Disposition == pbx.Answered && r[1].Disposition == pbx.Answered
				})
				var orig, moved pbx.CDR
				for _, r := range recs {
					if strings.HasPrefix(r.Reason, "transferred") {
						orig = r
					} else {
						moved = r
					}
				}
				if orig.Reason != "transferred to 1002" {
					t.Errorf("original record %+v, want reason \"transferred to 1002\"", orig)
				}
				if moved.Caller != "1001" || moved.Callee != "1002" || moved.CallID != orig.CallID || moved.Reason != "callee hung up" {
					t.Errorf("new record %+v, want 1001 → 1002 with the call's Call-ID", moved)
				}
			})
		}
	}
}

// TestTransferBlindFailureRecovers: the target is busy, rejects or does
// not answer: the transferor gets the failure's sipfrag, and transferor
// and transferee still talk; the call keeps one record.
func TestTransferBlindFailureRecovers(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode phone.AnswerMode
		code int
	}{
		{"busy", phone.AnswerMode{Behaviour: phone.Busy}, 486},
		{"reject", phone.AnswerMode{Behaviour: phone.Reject}, 603},
		{"no-answer", phone.AnswerMode{Behaviour: phone.NoAnswer}, 408},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			in := startPBX(t, func(c *config.Config) { c.Call.NoAnswerTimeout = time.Second }, pbxtest.Options{})
			ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1002")
			ps["1002"].SetAnswer(tc.mode)
			a, b := talk(ctx, t, ps["1000"], ps["1001"])
			code, err := a.Transfer(ctx, "1002")
			if err != nil || code != tc.code {
				t.Fatalf("transfer = %d, %v; want %d", code, err, tc.code)
			}
			actx, acancel := context.WithTimeout(ctx, 5*time.Second)
			defer acancel()
			if _, err := b.TwoWayAudio(actx); err != nil {
				t.Errorf("B no longer hears A: %v", err)
			}
			if _, err := a.TwoWayAudio(actx); err != nil {
				t.Errorf("A no longer hears B: %v", err)
			}
			if err := a.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			if end, err := b.Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
				t.Errorf("B end = %+v, %v", end, err)
			}
			recs := waitCDRs(ctx, t, in, func(r []pbx.CDR) bool { return len(r) == 1 && r[0].Disposition == pbx.Answered })
			if recs[0].Callee != "1001" || recs[0].Reason != "caller hung up" {
				t.Errorf("record %+v", recs[0])
			}
		})
	}
}

// TestTransferBlindTransferorHangsUp: the transferor hangs up right after
// the 202 (as many phones do); the transfer goes on: to an answering
// target the transferee is connected, to a busy one the transferee gets
// BYE and the record says why.
func TestTransferBlindTransferorHangsUp(t *testing.T) {
	for _, busy := range []bool{false, true} {
		name := "answered"
		if busy {
			name = "busy"
		}
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			in := startPBX(t, nil, pbxtest.Options{})
			ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1002")
			ps["1002"].SetAnswer(phone.AnswerMode{Behaviour: phone.Manual})
			a, b := talk(ctx, t, ps["1000"], ps["1001"])
			done := make(chan int, 1)
			go func() {
				code, _ := a.Transfer(ctx, "1002")
				done <- code
			}()
			c := ps["1002"].nextIncoming(ctx, t)
			if err := c.WaitRinging(ctx); err != nil {
				t.Fatal(err)
			}
			if err := a.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			if busy {
				if err := c.Reject(ctx, 486); err != nil {
					t.Fatal(err)
				}
				if end, err := b.Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
					t.Errorf("B end = %+v, %v; want BYE", end, err)
				}
				recs := waitCDRs(ctx, t, in, func(r []pbx.CDR) bool { return len(r) == 1 && r[0].Disposition != pbx.InProgress })
				if !strings.Contains(recs[0].Reason, "transfer to 1002 failed (486)") {
					t.Errorf("record %+v", recs[0])
				}
				return
			}
			if err := c.Answer(ctx); err != nil {
				t.Fatal(err)
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
			if _, err := c.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			waitCDRs(ctx, t, in, func(r []pbx.CDR) bool {
				return len(r) == 2 && r[0].Disposition == pbx.Answered && r[1].Disposition == pbx.Answered
			})
		})
	}
}

// TestTransferBadRefer: a REFER without Refer-To or with one the PBX
// cannot use is refused 400; one to a number nobody has gets 202 and then
// NOTIFY 404; the call goes on.
func TestTransferBadRefer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	in := startPBX(t, nil, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001")
	a, b := talk(ctx, t, ps["1000"], ps["1001"])
	for _, tc := range []struct {
		referTo string
		code    int
		refused bool
	}{
		{"", 400, true},
		{"<tel:+15551234>", 400, true},
		{"<sip:example.com>", 400, true},
		{"<nowhere at all>", 400, true},
		{"nowhere", 400, true},
		{"<sip:1002@example.com?Replaces=abc%3Bto-tag%3D1>", 400, true},
		{"<sip:9999@example.com>", 404, false},
	} {
		code, err := a.ReferRaw(ctx, tc.referTo)
		if code != tc.code || (err != nil) != tc.refused {
			t.Errorf("REFER %q = %d, %v; want %d (refused %v)", tc.referTo, code, err, tc.code, tc.refused)
		}
	}
	actx, acancel := context.WithTimeout(ctx, 5*time.Second)
	defer acancel()
	if _, err := b.TwoWayAudio(actx); err != nil {
		t.Errorf("B no longer hears A: %v", err)
	}
	if err := a.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	waitCDRs(ctx, t, in, func(r []pbx.CDR) bool { return len(r) == 1 && r[0].Reason == "caller hung up" })
}

// TestTransferAttended: A (1000) talks to B (1001), puts B on hold and
// calls C (1002), then transfers B to C with a REFER whose Replaces names
// its call with C: B and C talk, A's two calls end, and three records
// remain (both of A's calls "transferred", B → C).
func TestTransferAttended(t *testing.T) {
	for _, an := range anchors {
		t.Run(an.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			in := startPBX(t, an.set, pbxtest.Options{})
			ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1002")
			a1, b := talk(ctx, t, ps["1000"], ps["1001"])
			if err := a1.Hold(ctx); err != nil {
				t.Fatal(err)
			}
			a2, c := talk(ctx, t, ps["1000"], ps["1002"])
			code, err := a1.TransferTo(ctx, a2)
			if err != nil || code != 200 {
				t.Fatalf("attended transfer = %d, %v; want 200", code, err)
			}
			for _, x := range []*phone.Call{a1, a2} {
				if end, err := x.Wait(ctx); err != nil || end.Reason != phone.ReasonBye || end.By != phone.Remote {
					t.Errorf("transferor's call %s end = %+v, %v; want BYE from the PBX", x.CallID(), end, err)
				}
			}
			expectJoined(ctx, t, b, c, "1001", "1002")
			if err := b.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			if end, err := c.Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
				t.Errorf("C end = %+v, %v", end, err)
			}
			recs := waitCDRs(ctx, t, in, func(r []pbx.CDR) bool {
				if len(r) != 3 {
					return false
				}
				for _, x := range r {
					if x.Disposition != pbx.Answered {
						return false
					}
				}
				return true
			})
			reasons := map[string]bool{}
			for _, r := range recs {
				reasons[r.Reason] = true
				if !strings.HasPrefix(r.Reason, "transferred") && (r.Caller != "1001" || r.Callee != "1002") {
					t.Errorf("B → C record %+v", r)
				}
			}
			if !reasons["transferred to 1002"] || !reasons["transferred: 1001 joined to 1002"] || !reasons["caller hung up"] {
				t.Errorf("records %+v", recs)
			}
		})
	}
}

// TestTransferAttendedBadReplaces: a Replaces naming no dialog of the
// PBX's gets NOTIFY 481, one naming somebody else's call 403; either way
// the transferor's call goes on.
func TestTransferAttendedBadReplaces(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	in := startPBX(t, nil, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1003", "1004")
	a, b := talk(ctx, t, ps["1000"], ps["1001"])
	d, e := talk(ctx, t, ps["1003"], ps["1004"])
	code, err := a.ReferRaw(ctx, "<sip:1002@example.com?Replaces=nosuchcall%3Bto-tag%3D1%3Bfrom-tag%3D2>")
	if err != nil || code != 481 {
		t.Errorf("unknown Replaces = %d, %v; want 481", code, err)
	}
	code, err = a.TransferTo(ctx, d)
	if err != nil || code != 403 {
		t.Errorf("Replaces naming another subscriber's call = %d, %v; want 403", code, err)
	}
	actx, acancel := context.WithTimeout(ctx, 5*time.Second)
	defer acancel()
	if _, err := b.TwoWayAudio(actx); err != nil {
		t.Errorf("B no longer hears A: %v", err)
	}
	if _, err := e.TwoWayAudio(actx); err != nil {
		t.Errorf("E no longer hears D: %v", err)
	}
	for _, x := range []*phone.Call{a, d} {
		if err := x.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
	}
	waitCDRs(ctx, t, in, func(r []pbx.CDR) bool {
		return len(r) == 2 && r[0].Reason == "caller hung up" && r[1].Reason == "caller hung up"
	})
}

// TestTransferInviteReplaces: another device of B (1001) sends an INVITE
// with Replaces naming B's dialog with the PBX: it takes the call over (A
// hears it), B's first device gets BYE. A Replaces naming no dialog gets
// 481, early-only on a confirmed dialog 486, somebody else's dialog 403.
func TestTransferInviteReplaces(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	in := startPBX(t, nil, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1003")
	a, b := talk(ctx, t, ps["1000"], ps["1001"])
	// B's second device, registered once the call is up (it would ring too)
	other := registered(ctx, t, in.Target(), phone.Config{}, "1001")["1001"]
	id, pbxTag, bTag := b.DialogID()
	for _, tc := range []struct {
		by       *testPhone
		replaces string
		code     int
	}{
		{other, "nosuchcall;to-tag=1;from-tag=2", 481},
		{other, b.ReplacesValue() + ";early-only", 486},
		{ps["1003"], b.ReplacesValue(), 403},
		{other, id + ";to-tag=" + pbxTag, 400},
	} {
		x, err := tc.by.DialReplacing(ctx, "1000", tc.replaces)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if x.Code() != tc.code {
			t.Errorf("INVITE by %s with Replaces %q = %d; want %d", tc.by.Number(), tc.replaces, x.Code(), tc.code)
		}
	}
	// tags in either order name the dialog
	x, err := other.DialReplacing(ctx, "1000", id+";to-tag="+bTag+";from-tag="+pbxTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.WaitAnswer(ctx); err != nil {
		t.Fatalf("replacing INVITE: %v (code %d)", err, x.Code())
	}
	if end, err := b.Wait(ctx); err != nil || end.Reason != phone.ReasonBye || end.By != phone.Remote {
		t.Errorf("replaced device end = %+v, %v; want BYE", end, err)
	}
	actx, acancel := context.WithTimeout(ctx, 5*time.Second)
	defer acancel()
	if _, err := x.TwoWayAudio(actx); err != nil {
		t.Errorf("the new device does not hear A: %v", err)
	}
	if _, err := a.TwoWayAudio(actx); err != nil {
		t.Errorf("A does not hear the new device: %v", err)
	}
	if err := a.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if end, err := x.Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
		t.Errorf("new device end = %+v, %v", end, err)
	}
	waitCDRs(ctx, t, in, func(r []pbx.CDR) bool {
		n := 0
		for _, x := range r {
			if x.Disposition == pbx.Answered && (x.Reason == "replaced by another device of 1001" || (x.Caller == "1001" && x.Callee == "1000")) {
				n++
			}
		}
		return n == 2
	})
}

// TestTransferTransfereeHangsUp: while the target rings, a second REFER
// gets 491; then the transferee hangs up: the target's INVITE is
// cancelled, the transferor gets BYE, and the call leaves one record.
func TestTransferTransfereeHangsUp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	in := startPBX(t, nil, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1002")
	ps["1002"].SetAnswer(phone.AnswerMode{Behaviour: phone.Manual})
	a, b := talk(ctx, t, ps["1000"], ps["1001"])
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = a.Transfer(ctx, "1002") // ends with the dialog: no final NOTIFY
	}()
	c := ps["1002"].nextIncoming(ctx, t)
	if err := c.WaitRinging(ctx); err != nil {
		t.Fatal(err)
	}
	if code, err := a.ReferRaw(ctx, "<sip:1002@example.com>"); code != 491 || err == nil {
		t.Errorf("second REFER = %d, %v; want 491", code, err)
	}
	if err := b.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	// each wait bounded on its own, so that a failure says which leg hung
	for _, w := range []struct {
		who    string
		leg    *phone.Call
		reason phone.Reason
	}{{"target", c, phone.ReasonCancel}, {"transferor", a, phone.ReasonBye}} {
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
		end, err := w.leg.Wait(wctx)
		wcancel()
		if err != nil || end.Reason != w.reason || end.By != phone.Remote {
			t.Errorf("%s end = %+v, %v; want %s from the PBX", w.who, end, err, w.reason)
		}
	}
	recs := waitCDRs(ctx, t, in, func(r []pbx.CDR) bool { return len(r) == 1 && r[0].Disposition == pbx.Answered })
	if recs[0].Callee != "1001" {
		t.Errorf("record %+v", recs[0])
	}
	cancel()
	<-done
}

// TestTransferKeepsCallAuthority: a blind transfer is a call of the
// transferor's, so its call authority applies: 1009 (the lobby, internal
// calls only, servicesConfig) cannot get round it by transferring its
// partner to an outside number (NOTIFY 403, no call out).
func TestTransferKeepsCallAuthority(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	in, carrier := servicesPBX(t, func(tweak func(*config.Config)) *pbxtest.Instance {
		return startPBX(t, tweak, pbxtest.Options{})
	})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1009")

	lobby, _ := talk(ctx, t, ps["1009"], ps["1000"])
	if code, _ := lobby.ReferRaw(ctx, "<sip:9123@example.com>"); code != 403 {
		t.Errorf("the lobby transfers to an outside number: NOTIFY %d, want 403", code)
	}
	if n := invites(carrier); n != 0 {
		t.Errorf("the carrier got %d calls from a barred transfer", n)
	}
	if err := lobby.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}
