package call_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx"
	"pbxlab/pbx/internal/call"
)

// sendInfo sends an INFO in d and returns its final status.
func (r *setupRig) sendInfo(d *testua.Dialog) int {
	r.t.Helper()
	info := d.NewRequest(sip.INFO)
	testua.SetBody(info, "application/dtmf-relay", []byte("Signal=9\r\nDuration=100\r\n"))
	tx, err := d.Start(info)
	if err != nil {
		r.t.Fatal(err)
	}
	return r.final(tx).StatusCode
}

// TestOpsSplit: Split takes both legs out of their bridge and leaves both
// dialogs up: neither party gets a BYE, and what one sends is no longer
// relayed to the other. Today an INFO on an unbridged leg gets 481 (the
// relay finds no leg to pass it to).
func TestOpsSplit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var split []string
		r := newSetupRig(t, trustedCallers(), withCallPolicy(func(base call.Policy) call.Policy {
			return referHook(base, func(ctx context.Context, in call.InDialogRequest) {
				legs := in.Call.Split(in.Call.Bridge())
				mu.Lock()
				defer mu.Unlock()
				for _, l := range legs {
					if l.State().Up() {
						split = append(split, l.ID())
					}
				}
			})
		}))
		a, b := r.ua("1000"), r.callee("1001")
		tx, in := r.establish(a, b, "1001")
		if code := r.sendInfo(tx.Dialog()); code != 200 {
			t.Fatalf("INFO before the split: %d", code)
		}
		r.incoming(b, testua.Method(sip.INFO))
		rtx, err := tx.Dialog().Start(tx.Dialog().NewRequest(sip.REFER))
		if err != nil {
			t.Fatal(err)
		}
		if res := r.final(rtx); res.StatusCode != 202 {
			t.Fatalf("REFER: %d", res.StatusCode)
		}
		mu.Lock()
		got := append([]string(nil), split...)
		mu.Unlock()
		if len(got) != 2 {
			t.Fatalf("Split returned up legs %v, want the caller's and the callee's", got)
		}

		if code := r.sendInfo(tx.Dialog()); code != 481 {
			t.Errorf("INFO on the caller's unbridged leg: %d, want 481 (not relayed)", code)
		}
		if code := r.sendInfo(in.Dialog()); code != 481 {
			t.Errorf("INFO on the callee's unbridged leg: %d, want 481 (not relayed)", code)
		}
		synctest.Wait()
		if n := len(b.Incoming(testua.Method(sip.INFO))); n != 1 {
			t.Errorf("callee got %d INFO, want only the one sent before the split", n)
		}
		if n := len(a.Incoming(testua.Method(sip.INFO))); n != 0 {
			t.Errorf("caller got %d INFO after the split", n)
		}
		if n := len(a.Incoming(testua.Method(sip.BYE))) + len(b.Incoming(testua.Method(sip.BYE))); n != 0 {
			t.Errorf("Split sent %d BYEs", n)
		}
		// both dialogs are still there: each BYE is answered 200; once no
		// leg is left up the call is over and recorded
		r.bye(tx.Dialog())
		r.bye(in.Dialog())
		if recs := cdrs(t, r.h); len(recs) != 1 || recs[0].Disposition != pbx.Answered || recs[0].End.IsZero() {
			t.Errorf("CDRs after both legs hung up: %+v, want one answered call that ended", recs)
		}
	})
}

// TestOpsSplitThenCancel: a service splits the call, then ends each leg
// itself (Cancel on an answered leg is BYE): both parties get BYE, and the
// call is over once the last leg is.
func TestOpsSplitThenCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSetupRig(t, trustedCallers(), withCallPolicy(func(base call.Policy) call.Policy {
			return referHook(base, func(ctx context.Context, in call.InDialogRequest) {
				for _, l := range in.Call.Split(in.Call.Bridge()) {
					in.Call.Cancel(l)
				}
			})
		}))
		a, b := r.ua("1000"), r.callee("1001")
		tx, in := r.establish(a, b, "1001")
		rtx, err := tx.Dialog().Start(tx.Dialog().NewRequest(sip.REFER))
		if err != nil {
			t.Fatal(err)
		}
		r.final(rtx)
		if bye := r.incoming(a, testua.Method(sip.BYE)); toTag(bye.Request()) != tx.Dialog().LocalTag() {
			t.Errorf("caller's BYE outside its dialog")
		}
		if bye := r.incoming(b, testua.Method(sip.BYE)); toTag(bye.Request()) != in.Tag() {
			t.Errorf("callee's BYE outside its dialog")
		}
		if recs := cdrs(t, r.h); len(recs) != 1 || recs[0].Disposition != pbx.Answered || recs[0].End.IsZero() {
			t.Errorf("CDRs after the service ended both legs: %+v, want one answered call that ended", recs)
		}
	})
}

// TestOpsAdd: a pass-through bridge cannot take a third leg (ErrNeedsMixer,
// nothing sent); with a mixing seam, legs added to the bridge are each
// re-INVITEd with the mixer's offer and their answers go to the mixer.
func TestOpsAdd(t *testing.T) {
	t.Run("pass-through", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			added := make(chan error, 1)
			r := newSetupRig(t, trustedCallers(), withCallPolicy(func(base call.Policy) call.Policy {
				return referHook(base, func(ctx context.Context, in call.InDialogRequest) {
					in.Call.Add(in.Call.Bridge(), in.Leg, func(err error) { added <- err })
				})
			}))
			a, b := r.ua("1000"), r.callee("1001")
			tx, _ := r.establish(a, b, "1001")
			rtx, err := tx.Dialog().Start(tx.Dialog().NewRequest(sip.REFER))
			if err != nil {
				t.Fatal(err)
			}
			r.final(rtx)
			if err := awaitValue(r, added); !errors.Is(err, call.ErrNeedsMixer) {
				t.Errorf("Add on a pass-through bridge: %v, want ErrNeedsMixer", err)
			}
			synctest.Wait()
			if n := len(a.Incoming(testua.Method(sip.INVITE))) + len(b.Incoming(testua.And(testua.Method(sip.INVITE), inDialog()))); n != 0 {
				t.Errorf("a failed Add sent %d re-INVITEs", n)
			}
			// the call is as it was
			if code := r.sendInfo(tx.Dialog()); code != 200 {
				t.Errorf("INFO after the failed Add: %d", code)
			}
			r.bye(tx.Dialog())
			r.incoming(b, testua.Method(sip.BYE))
		})
	})
	t.Run("mixer", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var ms mixers
			added := make(chan error, 1)
			r := newSetupRig(t, trustedCallers(), withCallMedia(ms.factory), withCallPolicy(func(base call.Policy) call.Policy {
				// move the call into the mixer: split, then add both legs
				return referHook(base, func(ctx context.Context, in call.InDialogRequest) {
					c, br := in.Call, in.Call.Bridge()
					legs := c.Split(br)
					c.Add(br, legs[0], func(err error) {
						if err != nil {
							added <- err
							return
						}
						c.Add(br, legs[1], func(err error) { added <- err })
					})
				})
			}))
			a, b := r.ua("1000"), r.callee("1001")
			tx, in := r.establish(a, b, "1001")
			rtx, err := tx.Dialog().Start(tx.Dialog().NewRequest(sip.REFER))
			if err != nil {
				t.Fatal(err)
			}
			r.final(rtx)
			toA := r.incoming(a, testua.Method(sip.INVITE))
			r.answer(toA)
			toB := r.incoming(b, testua.And(testua.Method(sip.INVITE), inDialog()))
			r.answer(toB)
			if err := awaitValue(r, added); err != nil {
				t.Fatalf("Add: %v", err)
			}
			used := ms.used()
			if len(used) != 1 {
				t.Fatalf("%d mixers took legs, want the call's one", len(used))
			}
			m := used[0]
			m.mu.Lock()
			offered, answers := m.offered, m.answers
			m.mu.Unlock()
			if len(offered) != 2 || !bytes.Equal(toA.Request().Body(), offered[0]) || !bytes.Equal(toB.Request().Body(), offered[1]) {
				t.Errorf("re-INVITEs carry %q and %q, want the mixer's offers %q", toA.Request().Body(), toB.Request().Body(), offered)
			}
			mustSDPAt(t, "A's re-INVITE", toA.Request().Body(), mixerHost)
			var toMixer []mixAnswer
			for _, x := range answers {
				if x.to == "" {
					toMixer = append(toMixer, x)
				}
			}
			if len(toMixer) != 2 || !bytes.Equal(toMixer[0].sdp, toA.Responses()[len(toA.Responses())-1].Body()) ||
				!bytes.Equal(toMixer[1].sdp, toB.Responses()[len(toB.Responses())-1].Body()) {
				t.Errorf("mixer got answers %+v, want A's then B's", toMixer)
			}
			// the call ends as a call: A's BYE reaches B
			r.bye(tx.Dialog())
			if bye := r.incoming(b, testua.Method(sip.BYE), "BYE to the mixed callee"); toTag(bye.Request()) != in.Tag() {
				t.Errorf("BYE outside B's dialog")
			}
		})
	})
}
