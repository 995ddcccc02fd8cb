package call_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/internal/call"
)

// TestDetach: a service detaches both legs of an answered call (as a
// three-party call does when it moves them to a conference room). The
// callee's BYE then ends its leg alone: gone runs, the caller gets no BYE
// and the call goes on; the caller's BYE ends the last leg and the call.
func TestDetach(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		answered := make(chan *call.Call, 1)
		gone := make(chan string, 2)
		r := newSetupRig(t, trustedCallers(), withCallPolicy(func(base call.Policy) call.Policy {
			f := delegate(base)
			f.OnAnswerFunc = func(ctx context.Context, a call.Answered) {
				base.OnAnswer(ctx, a)
				c := a.Call
				x := c.Caller()
				y := x.Other()
				for _, l := range []*call.Leg{x, y} {
					if err := c.Detach(l, func() { gone <- c.Party(l) }); err != nil {
						t.Errorf("detach %s: %v", l.ID(), err)
					}
				}
				if x.Other() != nil || y.Other() != nil {
					t.Errorf("detached legs still bridged")
				}
				answered <- c
			}
			return f
		}))
		a, b := r.ua("1000"), r.callee("1001")
		tx, in := r.establish(a, b, "1001")
		c := awaitValue(r, answered)
		r.bye(in.Dialog())
		if who := awaitValue(r, gone); who != "1001" {
			t.Errorf("gone for %s, want 1001", who)
		}
		synctest.Wait()
		if n := len(a.Incoming(testua.Method(sip.BYE))); n != 0 {
			t.Fatalf("the caller got %d BYE when the detached callee left", n)
		}
		select {
		case <-c.Done():
			t.Fatal("the call ended with a leg still up")
		default:
		}
		r.bye(tx.Dialog())
		if who := awaitValue(r, gone); who != "1000" {
			t.Errorf("gone for %s, want 1000", who)
		}
		synctest.Wait()
		select {
		case <-c.Done():
		default:
			t.Fatal("the call did not end with its last leg")
		}
	})
}
