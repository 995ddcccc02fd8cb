package call_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/internal/call"
)

// TestInfoWithoutFarLegGoesToPolicy: an INFO on a leg that has no far leg
// (here after a Split) reaches Policy.InDialog (a service such as an IVR
// takes SIP INFO DTMF that way) and gets its response; while the leg is
// bridged, INFO is relayed and the policy never sees it.
func TestInfoWithoutFarLegGoesToPolicy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var seen []string // legs of the INFOs the policy got
		r := newSetupRig(t, trustedCallers(), withCallPolicy(func(base call.Policy) call.Policy {
			f := referHook(base, func(_ context.Context, in call.InDialogRequest) { in.Call.Split(in.Call.Bridge()) })
			refer := f.InDialogFunc
			f.InDialogFunc = func(ctx context.Context, in call.InDialogRequest) (*sip.Response, error) {
				if in.Request.Method != sip.INFO {
					return refer(ctx, in)
				}
				mu.Lock()
				seen = append(seen, in.Leg.ID())
				mu.Unlock()
				return sip.NewResponseFromRequest(in.Request, 200, "Taken", nil), nil
			}
			return f
		}))
		a, b := r.ua("1000"), r.callee("1001")
		tx, in := r.establish(a, b, "1001")
		if code := r.sendInfo(tx.Dialog()); code != 200 {
			t.Fatalf("INFO while bridged: %d", code)
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
		before := len(seen)
		mu.Unlock()
		if before != 0 {
			t.Fatalf("the policy got a relayed INFO: %v", seen)
		}
		if code := r.sendInfo(tx.Dialog()); code != 200 {
			t.Fatalf("INFO on the caller's unbridged leg: %d, want the policy's 200", code)
		}
		synctest.Wait()
		mu.Lock()
		got := append([]string(nil), seen...)
		mu.Unlock()
		if len(got) != 1 || got[0] != "a" {
			t.Fatalf("policy saw INFOs on legs %v, want [a]", got)
		}
		if n := len(b.Incoming(testua.Method(sip.INFO))); n != 1 {
			t.Errorf("callee got %d INFO, want only the one sent before the split", n)
		}
		r.bye(tx.Dialog())
		r.bye(in.Dialog())
	})
}
