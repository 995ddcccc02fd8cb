package call

import "github.com/emiago/sipgo/sip"

// Decision returns the decision the call is carrying out (its kind tells
// Policy.OnFailure a route's failure from a subscriber's). It must run on
// the call's executor.
func (c *Call) Decision() Decision { return c.decision }

// targetFailed tells the decision's OnTargetFailure that b's target
// failed with res; when it says stop, a sequential decision tries no
// further target.
func (c *Call) targetFailed(b *branch, res *sip.Response) {
	f := c.decision.OnTargetFailure
	if f == nil {
		return
	}
	if !f(b.target, res) && c.decision.Sequential {
		c.log.Info("target failed: no further target", "target", b.target.URI.String(), "peer", b.target.Peer, "status", res.StatusCode)
		c.next = len(c.decision.Targets)
	}
}

// admit asks the target's Admit, if any, whether it may be tried now.
func (c *Call) admit(t Target) bool {
	if t.Admit == nil || t.Admit() {
		return true
	}
	c.log.Info("target not admitted: skipped", "target", t.URI.String(), "peer", t.Peer)
	return false
}
