package call

import (
	"context"
	"fmt"

	"github.com/emiago/sipgo/sip"
)

// Call pickup (manual ch. 16): a third party takes a call whose targets
// ring. The call layer offers two things: the list of ringing calls
// (Manager.Ringing) and PickUp, which stops the ringing (every branch is
// CANCELled with Reason: SIP ;cause=200 ;text="Call completed elsewhere",
// RFC 3326) and lets the PBX answer the caller's leg itself (its media
// server then joins the caller with the picker). Who may pick up what is
// the PBX's (pbx/pickup.go, pbx/internal/services/pickup).

// Ringing is a call whose targets ring, as pickup sees it.
type Ringing struct {
	Call *Call
	// Caller and Callee are the numbers of the call's record (Callee is
	// the number dialled: a subscriber, a hunt group).
	Caller, Callee string
	// Simultaneous is a call ringing several parties at once (a ring-all
	// hunt group): the manual's pickup does not take it.
	Simultaneous bool
	// Targets are the Request-URIs of the branches ringing now (the
	// contacts the PBX placed the call to: a hunt group's member, a
	// forward's target), so that a pickup may name the party that rings
	// rather than the number dialled.
	Targets []sip.Uri
}

// Ringing lists the calls whose targets ring now. Each call is asked on
// its executor; ctx bounds the wait.
func (m *Manager) Ringing(ctx context.Context) []Ringing {
	m.mu.Lock()
	calls := make([]*Call, 0, len(m.calls))
	for c := range m.calls {
		calls = append(calls, c)
	}
	m.mu.Unlock()
	got := make(chan *Ringing, len(calls))
	for _, c := range calls {
		c.ex.post(func() { got <- c.ringing() })
	}
	var out []Ringing
	for range calls {
		select {
		case r := <-got:
			if r != nil {
				out = append(out, *r)
			}
		case <-ctx.Done():
			return out
		}
	}
	return out
}

// ringing describes c when its targets ring (at least one branch sent a
// provisional response and none answered), nil otherwise.
func (c *Call) ringing() *Ringing {
	if c.phase != phaseRinging || c.aInv == nil || c.winner != nil {
		return nil
	}
	var targets []sip.Uri
	for _, b := range c.branches {
		if b.final == nil && !b.cancelSent && !b.cancelPending && b.provisional {
			targets = append(targets, b.target.URI)
		}
	}
	if len(targets) == 0 {
		return nil
	}
	return &Ringing{Call: c, Caller: c.rec.Caller, Callee: c.rec.Callee, Targets: targets,
		Simultaneous: c.decision.Kind == ToGroup && !c.decision.Sequential}
}

// PickUp takes the ringing call for picker: allow is asked with the
// caller's number (an error refuses, the call rings on), then every
// branch is cancelled with the RFC 3326 reason of a call completed
// elsewhere, the record's callee becomes picker, and answer answers the
// caller's leg (Answer, with the PBX's own media). An answer that fails
// ends the call with its status. It runs on the executor (Do).
func (c *Call) PickUp(picker string, allow func(caller string) error, answer func(a *Leg) error) error {
	if c.ringing() == nil {
		return fmt.Errorf("pick up %s: %w", c.id, ErrNotRinging)
	}
	if err := allow(c.rec.Caller); err != nil {
		return fmt.Errorf("pick up %s: %w", c.id, err)
	}
	if c.noAnswer != nil {
		c.noAnswer.Stop()
		c.noAnswer = nil
	}
	c.next = len(c.decision.Targets) // a sequential decision tries no further target
	elsewhere := []sip.Header{sip.NewHeader("Reason", `SIP ;cause=200 ;text="Call completed elsewhere"`)}
	for _, b := range c.branches {
		if b.ring != nil {
			b.ring.Stop()
		}
		if b.progress != nil {
			b.progress.Stop()
		}
		c.cancelBranch(b, elsewhere)
	}
	if c.bridge != nil {
		for _, l := range c.bridge.Legs() {
			if l != c.a {
				c.bridge.remove(l)
			}
		}
		c.bridge.early = nil
	}
	c.rec.Callee = picker
	if err := answer(c.a); err != nil {
		c.log.Warn("pickup: answer the caller", "error", err)
		c.failWith(err)
		return fmt.Errorf("pick up %s: %w", c.id, err)
	}
	c.log.Info("call picked up", "picker", picker)
	return nil
}
