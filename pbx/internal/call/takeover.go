package call

import (
	"fmt"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/internal/sipx"
)

// Taking over another call's party (RFC 3891 Replaces): an attended
// transfer joins the transferee with the party of the transferor's other
// call, and an INVITE with Replaces puts its caller in the place of the
// dialog it names. Either way a leg moves from the call that owns the
// named dialog to the call asking: the owner splits its bridge, gives the
// leg up and ends (its record says why, the named leg gets BYE); the leg
// joins the asking call on its executor.

// Takeover names the dialog whose partner a call takes over.
type Takeover struct {
	// CallID and the tags name the dialog (RFC 3891 §6.1); the PBX's own
	// tag is one of ToTag and FromTag (both orders are tried).
	CallID, ToTag, FromTag string
	// EarlyOnly refuses a confirmed dialog (486, RFC 3891 §3).
	EarlyOnly bool
	// Allow, when set, is asked on the owner's executor with the number of
	// the party on the named leg; false refuses (403).
	Allow func(party string) bool
	// Why is the reason the owner's record ends with.
	Why string
}

// findDialog is the call that owns the leg with the PBX's tag tag.
func (m *Manager) findDialog(callID string, tags ...string) (*Call, string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range tags {
		if c, ok := m.dialogs[dialogKey(callID, t)]; ok {
			return c, t, true
		}
	}
	return nil, "", false
}

// takeOver moves the partner of the dialog t names into c; done runs on
// c's executor with the leg, now c's, and its party's number, or with an
// error carrying the SIP status (a *sipx.StatusError: 481 no such
// dialog, 403 not allowed, 486 early-only, 491 the leg is busy).
func (c *Call) takeOver(t Takeover, done func(o *Leg, party string, err error)) {
	k, tag, ok := c.m.findDialog(t.CallID, t.ToTag, t.FromTag)
	if !ok || k == c {
		done(nil, "", fmt.Errorf("replace %s: %w", t.CallID, sipx.ErrNoDialog))
		return
	}
	k.ex.post(func() {
		give := func() {
			o, party, err := k.giveUp(t, tag)
			c.ex.post(func() {
				if o != nil {
					c.adopt(o)
				}
				done(o, party, err)
			})
		}
		if r := k.namedLeg(t, tag); r != nil && r.inv.waitingAck() && !r.inv.noAckWait {
			// The named dialog was just answered and its ACK is not in:
			// the request naming it (a REFER with Replaces from the same
			// phone, sent right after that ACK) overtook it, each handled
			// in a goroutine of its own. Taking over sends that leg a BYE,
			// which RFC 3261 §15 bars before the ACK: wait for it (or for
			// AckWait), as in-dialog requests that overtake it do.
			k.deferUntilAck(r, give)
			return
		}
		give()
	})
}

// namedLeg is k's leg of the dialog t names with the PBX's tag tag.
func (k *Call) namedLeg(t Takeover, tag string) *Leg {
	var r *Leg
	for _, l := range k.legs {
		if l.callID == t.CallID && l.localTag == tag {
			r = l
		}
	}
	return r
}

func status(code int, reason string, err error) error {
	return &sipx.StatusError{Code: code, Reason: reason, Err: err}
}

// giveUp runs on the owner k: it lets go of the partner of the leg with
// our tag tag and ends the call.
func (k *Call) giveUp(t Takeover, tag string) (*Leg, string, error) {
	r := k.namedLeg(t, tag)
	switch {
	case r == nil || k.phase == phaseEnded || !r.state.Up() || r.byeSent:
		return nil, "", fmt.Errorf("replace %s: %w", t.CallID, sipx.ErrNoDialog)
	case r.state == LegEarly:
		// an early dialog is replaced only by its UAC (RFC 3891 §3): one
		// the PBX did not originate is not ours to give; picking up a
		// ringing call by Replaces is not supported
		if r.role == UAS {
			return nil, "", fmt.Errorf("replace early %s: %w", t.CallID, sipx.ErrNoDialog)
		}
		return nil, "", status(501, "Not Implemented", fmt.Errorf("replace early %s: %w", t.CallID, sipx.ErrNotImplemented))
	case t.EarlyOnly:
		return nil, "", status(486, "Busy Here", fmt.Errorf("replace %s: early-only: %w", t.CallID, sipx.ErrBusy))
	}
	o := r.Other()
	if o == nil || o.state != LegConfirmed || k.phase != phaseAnswered {
		return nil, "", fmt.Errorf("replace %s: nobody to take over: %w", t.CallID, sipx.ErrNoDialog)
	}
	if o.inv != nil || o.outInvite || o.lateOffer != nil || r.inv != nil || r.outInvite {
		return nil, "", status(491, "Request Pending", fmt.Errorf("replace %s: %w", t.CallID, ErrPendingOffer))
	}
	if t.Allow != nil && !t.Allow(k.Party(r)) {
		return nil, "", status(403, "Forbidden", fmt.Errorf("replace %s: %w", t.CallID, sipx.ErrForbidden))
	}
	party := k.Party(o)
	k.Split(r.bridge)
	o.st.stop()
	out := k.legs[:0]
	for _, l := range k.legs {
		if l != o {
			out = append(out, l)
		}
	}
	k.legs = out
	legs := k.upLegs()
	k.finish(cdr.Answered, 200, t.Why)
	for _, l := range legs {
		k.endLeg(l, nil)
	}
	return o, party, nil
}

// adopt makes o, a leg another call gave up, one of c's.
func (c *Call) adopt(o *Leg) {
	o.id = c.newLegID()
	c.addLeg(o)
	if c.phase == phaseEnded {
		c.bye(o, nil) // c ended meanwhile
		return
	}
	if o.st != nil && o.st.interval > 0 {
		c.armTimer(o)
	}
}

// AttendedTransfer is an attended transfer (RFC 5589 §7): the transferee's
// leg Stay is joined with the partner of the transferor's other dialog,
// which Replaces names; the transferor's legs in both calls end.
type AttendedTransfer struct {
	From, Stay *Leg
	Replaces   Takeover
	// Caller is the transferee's number (the new record's caller).
	Caller string
	// Progress is told, on the executor, of the outcome (final): 200, or
	// the failure's status (481 no such dialog ...).
	Progress func(code int, reason string, final bool)
}

// TransferAttended carries out an attended transfer. It runs on the
// executor.
func (c *Call) TransferAttended(t AttendedTransfer) error {
	switch {
	case c.xfer != nil:
		return fmt.Errorf("attended transfer: %w", ErrTransferPending)
	case c.phase != phaseAnswered || !t.From.state.Up() || !t.Stay.state.Up():
		return fmt.Errorf("attended transfer: %w", ErrLegNotUp)
	case t.From.bridge == nil || t.From.bridge.other(t.From) != t.Stay:
		return fmt.Errorf("attended transfer: %w", ErrNotBridged)
	}
	x := &xfer{t: BlindTransfer{From: t.From, Stay: t.Stay, Caller: t.Caller, Progress: t.Progress}}
	c.xfer = x
	c.takeOver(t.Replaces, func(o *Leg, party string, err error) {
		if err != nil {
			c.xferFail(x, errorStatus(err))
			return
		}
		if c.phase != phaseAnswered || x.done || !t.Stay.state.Up() {
			c.bye(o, nil)
			c.xferFail(x, sip.NewResponse(487, "Request Terminated"))
			return
		}
		x.won = true
		x.t.Callee = party
		c.xferJoin(x, o)
	})
	return nil
}

// errorStatus is the response an error stands for (the one error→SIP map).
func errorStatus(err error) *sip.Response {
	code, reason, _ := sipx.StatusOf(err)
	return sip.NewResponse(code, reason)
}
