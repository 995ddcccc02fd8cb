package call

import (
	"fmt"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/sipx"
)

// ReplaceDialog answers the call's caller in the place of the dialog t names
// (an INVITE with Replaces, RFC 3891 §3): the partner of that dialog
// leaves its call for this one, is re-INVITEd with the caller's offer and
// the caller gets its answer in the 200; the replaced leg gets BYE. A
// failure rejects the caller with its status (481 no such dialog, 403,
// 486 early-only, 491). It runs on the executor (a Decision.Service).
func (c *Call) ReplaceDialog(t Takeover) {
	if c.phase != phaseRinging || c.aInv == nil {
		return
	}
	if len(c.offer) == 0 {
		// a late offer would need the partner's offer in our 2xx: not done
		c.Reject(status(488, "Not Acceptable Here", fmt.Errorf("replace %s without an offer: %w", t.CallID, sipx.ErrNotAcceptable)))
		return
	}
	c.takeOver(t, func(o *Leg, party string, err error) {
		if err != nil {
			c.Reject(err)
			return
		}
		if c.phase != phaseRinging {
			c.bye(o, nil) // the caller gave up meanwhile
			return
		}
		b := c.newBridge(c.a, o)
		c.bridge = b
		c.rec.Callee = party
		off, err := b.offer(c.a, o, c.offer)
		if err != nil {
			c.bye(o, nil)
			c.Reject(status(488, "Not Acceptable Here", err))
			return
		}
		c.reinvite(o, off, func(res *sip.Response, err error) {
			if err == nil && !res.IsSuccess() {
				err = fmt.Errorf("re-INVITE answered %d: %w", res.StatusCode, ErrJoinRefused)
			}
			if c.phase != phaseRinging {
				c.bye(o, nil)
				return
			}
			if err != nil {
				c.bye(o, nil)
				c.Reject(status(480, "Temporarily Unavailable", err))
				return
			}
			ans, err := b.answer(o, c.a, res.Body())
			if err != nil {
				c.log.Warn("replace: answer through the media seam", "error", err)
			}
			c.winner = o
			if err := c.Answer(c.a, ans, nil); err != nil {
				c.log.Warn("replace: answer the caller", "error", err)
			}
		})
	})
}
