package call_test

import (
	"testing"
	"testing/synctest"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/internal/call"
)

// TestOriginatedLegCancelledAtCallEnd: a service answers A itself and
// originates a leg to B (as an IVR's transfer does); while B rings, A
// hangs up. B's pending INVITE is stopped with CANCEL (RFC 3261 §9.1),
// not with a BYE on its early dialog, and B never gets a BYE.
func TestOriginatedLegCancelledAtCallEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSetupRig(t, trustedCallers(), withCallPolicy(func(base call.Policy) call.Policy {
			return serviceRoute(base, "7000", "1001", func(in call.Incoming, targets []call.Target) func(*call.Call) {
				offer := in.Request.Body()
				return func(c *call.Call) {
					own, err := serviceAnswer(offer)
					if err != nil {
						c.Reject(err)
						return
					}
					if err := c.Answer(c.Caller(), own, nil); err != nil {
						c.Hangup(err.Error())
						return
					}
					if _, err := c.Originate(targets[0], c.Caller(), offer, nil); err != nil {
						c.Hangup(err.Error())
					}
				}
			})
		}))
		a, b := r.ua("1000"), r.callee("1001")
		tx := r.invite(a, "7000", a.Offer(), nil)
		if res := r.final(tx); res.StatusCode != 200 {
			t.Fatalf("service answered %d", res.StatusCode)
		}
		r.ack(tx, nil)
		r.incoming(b, testua.Method(sip.INVITE)) // B rings (180 by itself)
		synctest.Wait()
		r.bye(tx.Dialog())
		r.incoming(b, testua.Method(sip.CANCEL))
		synctest.Wait()
		if n := len(b.Incoming(testua.Method(sip.BYE))); n != 0 {
			t.Fatalf("B got %d BYE for a call it never answered", n)
		}
	})
}
