package call_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/sipx"
)

// seenInDialog is what a fake Policy.InDialog saw.
type seenInDialog struct {
	method sip.RequestMethod
	leg    string
	role   call.Role
	caller bool // the leg is the call's caller leg
}

// TestSetupPolicyInDialog: REFER and SUBSCRIBE inside a call's dialogs go
// to Policy.InDialog, whose response reaches the sender (and nothing
// reaches the other party); without a hook the PBX's policy answers: a
// SUBSCRIBE 405 with the PBX's Allow, a REFER without Refer-To 400 (the
// transfer service); out of a dialog REFER is 405 before any call is looked at.
func TestSetupPolicyInDialog(t *testing.T) {
	t.Run("hook answers", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var mu sync.Mutex
			var seen []seenInDialog
			r := newSetupRig(t, trustedCallers(), withCallPolicy(func(base call.Policy) call.Policy {
				f := delegate(base)
				f.InDialogFunc = func(_ context.Context, in call.InDialogRequest) (*sip.Response, error) {
					mu.Lock()
					seen = append(seen, seenInDialog{in.Request.Method, in.Leg.ID(), in.Leg.Role(), in.Leg == in.Call.Caller()})
					mu.Unlock()
					return sip.NewResponseFromRequest(in.Request, 202, "Accepted", nil), nil
				}
				return f
			}))
			a, b := r.ua("1000"), r.callee("1001")
			tx, in := r.establish(a, b, "1001")

			refer := tx.Dialog().NewRequest(sip.REFER)
			refer.AppendHeader(sip.NewHeader("Refer-To", "<sip:1002@"+r.h.Addr.String()+">"))
			rtx, err := tx.Dialog().Start(refer)
			if err != nil {
				t.Fatal(err)
			}
			if res := r.final(rtx); res.StatusCode != 202 {
				t.Errorf("REFER from the caller answered %d, want the hook's 202", res.StatusCode)
			}
			sub := in.Dialog().NewRequest(sip.SUBSCRIBE)
			sub.AppendHeader(sip.NewHeader("Event", "dialog"))
			stx, err := in.Dialog().Start(sub)
			if err != nil {
				t.Fatal(err)
			}
			if res := r.final(stx); res.StatusCode != 202 {
				t.Errorf("SUBSCRIBE from the callee answered %d, want the hook's 202", res.StatusCode)
			}
			synctest.Wait()
			if n := len(b.Incoming(testua.Method(sip.REFER))) + len(a.Incoming(testua.Method(sip.SUBSCRIBE))); n != 0 {
				t.Errorf("%d REFER/SUBSCRIBE crossed to the other party", n)
			}
			mu.Lock()
			got := append([]seenInDialog(nil), seen...)
			mu.Unlock()
			if len(got) != 2 ||
				got[0].method != sip.REFER || !got[0].caller || got[0].role != call.UAS ||
				got[1].method != sip.SUBSCRIBE || got[1].caller || got[1].role != call.UAC {
				t.Errorf("hook saw %+v, want REFER on the caller's leg (uas) then SUBSCRIBE on the callee's (uac)", got)
			}
			r.bye(tx.Dialog())
			r.incoming(b, testua.Method(sip.BYE))
		})
	})
	t.Run("no hook", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := newSetupRig(t, trustedCallers())
			a, b := r.ua("1000"), r.callee("1001")
			tx, in := r.establish(a, b, "1001")
			for _, d := range []*testua.Dialog{tx.Dialog(), in.Dialog()} {
				for _, m := range []sip.RequestMethod{sip.REFER, sip.SUBSCRIBE} {
					req := d.NewRequest(m)
					rtx, err := d.Start(req)
					if err != nil {
						t.Fatal(err)
					}
					res := r.final(rtx)
					if m == sip.REFER {
						// the PBX's transfer service takes REFER (pbx/transfer.go):
						// one without Refer-To is a bad request
						if res.StatusCode != 400 {
							t.Errorf("in-dialog REFER without Refer-To: %d, want 400 from the transfer service", res.StatusCode)
						}
						continue
					}
					if allow := headerValues(res, "Allow"); res.StatusCode != 405 || len(allow) != 1 || allow[0] != sipx.Allowed {
						t.Errorf("in-dialog %s without a hook: %d, Allow %q; want 405 with %q", m, res.StatusCode, allow, sipx.Allowed)
					}
				}
			}
			// the call is still up
			r.bye(tx.Dialog())
			r.incoming(b, testua.Method(sip.BYE))
		})
	})
	t.Run("out of dialog", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			called := make(chan struct{}, 1)
			r := newSetupRig(t, trustedCallers(), withCallPolicy(func(base call.Policy) call.Policy {
				f := delegate(base)
				f.InDialogFunc = func(context.Context, call.InDialogRequest) (*sip.Response, error) {
					called <- struct{}{}
					return nil, call.ErrNotHandled
				}
				return f
			}))
			a := r.ua("1000")
			res, err := a.Do(r.ctx, a.NewRequest(sip.REFER, "1001"))
			if err != nil {
				t.Fatal(err)
			}
			if allow := headerValues(res, "Allow"); res.StatusCode != 405 || len(allow) != 1 || allow[0] != sipx.Allowed {
				t.Errorf("REFER out of a dialog: %d, Allow %q; want 405 with %q", res.StatusCode, allow, sipx.Allowed)
			}
			select {
			case <-called:
				t.Error("a REFER out of any dialog reached Policy.InDialog")
			default:
			}
		})
	})
}
