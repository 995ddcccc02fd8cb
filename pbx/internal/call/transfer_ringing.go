package call

import (
	"fmt"

	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/internal/sipx"
)

// An attended transfer whose Replaces names the transferor's own call
// that still rings (RFC 5589 §7 completed before the target answers, the
// "semi-attended" transfer): the transferor's early dialog has no answered
// partner to hand over, so the policy ends that ringing call here and
// transfers the transferee blind to the number it rang.

// EndRingingFor ends the ringing call whose caller's early dialog t names
// (CANCEL to its targets, 487 to its caller; its record says t.Why) when
// t.Allow allows its caller. done runs on c's executor with the number
// that call dialled, or with an error: ErrNotEarlyCaller (no ringing call's
// caller leg), a *sipx.StatusError 481 (no such dialog) or 403 (not
// allowed).
func (c *Call) EndRingingFor(t Takeover, done func(dialled string, err error)) {
	k, tag, ok := c.m.findDialog(t.CallID, t.ToTag, t.FromTag)
	if !ok || k == c {
		done("", fmt.Errorf("replace %s: %w", t.CallID, sipx.ErrNoDialog))
		return
	}
	k.ex.post(func() {
		dialled, err := k.endRingingFor(t, tag)
		c.ex.post(func() { done(dialled, err) })
	})
}

// endRingingFor runs on the owner k.
func (k *Call) endRingingFor(t Takeover, tag string) (string, error) {
	r := k.a
	if r == nil || r.callID != t.CallID || r.localTag != tag {
		return "", fmt.Errorf("replace %s: %w", t.CallID, ErrNotEarlyCaller)
	}
	if k.phase != phaseRinging || r.state != LegEarly || k.aInv == nil {
		return "", fmt.Errorf("replace %s: %w", t.CallID, ErrNotEarlyCaller)
	}
	if t.Allow != nil && !t.Allow(k.rec.Caller) {
		return "", status(403, "Forbidden", fmt.Errorf("replace %s: %w", t.CallID, sipx.ErrForbidden))
	}
	dialled := k.rec.Dialled
	if dialled == "" {
		dialled = k.rec.Callee
	}
	k.stopRinging(487, "Request Terminated", cdr.Cancelled, t.Why)
	return dialled, nil
}
