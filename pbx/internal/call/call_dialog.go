package call

import (
	"context"
	"strings"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/internal/sipx"
)

// onCallerCancel runs when the caller CANCELs: sipgo's transaction layer
// has answered the CANCEL with 200 and the INVITE with 487; every fork is
// cancelled and the attempt recorded.
func (c *Call) onCallerCancel() {
	c.mu.Lock()
	if c.state != stateCalling || c.cancelled {
		c.mu.Unlock()
		return
	}
	c.cancelled = true
	pending := c.losers(nil)
	c.mu.Unlock()
	for _, f := range pending {
		go c.cancelFork(f)
	}
	c.finish(cdr.Cancelled, 487, "caller cancelled")
}

// onNoAnswer fires when the callee rang for longer than the no-answer timer.
func (c *Call) onNoAnswer() {
	c.stopRinging(480, "Temporarily Unavailable", cdr.NoAnswer, "no answer")
}

// stopRinging ends a call that is still ringing: CANCEL every fork, answer
// the caller with code, record disp.
func (c *Call) stopRinging(code int, reason string, disp cdr.Disposition, why string) {
	c.mu.Lock()
	if c.state != stateCalling || c.cancelled {
		c.mu.Unlock()
		return
	}
	c.cancelled = true
	pending := c.losers(nil)
	c.mu.Unlock()
	c.respondCaller(code, reason, nil)
	for _, f := range pending {
		go c.cancelFork(f)
	}
	c.finish(disp, code, why)
}

// startRetransmit retransmits the 2xx to the caller until its ACK arrives:
// from T1 doubling up to T2 over UDP, and after 64*T1 without ACK the call
// is ended with BYE on both legs (RFC 3261 §13.3.1.4).
func (c *Call) startRetransmit() {
	t1, t2 := c.m.timers.T1, c.m.timers.T2
	deadline := c.m.clock.Now().Add(64 * t1)
	reliable := strings.EqualFold(c.aInvite.Transport(), "tcp")
	interval := t1
	var tick func()
	tick = func() {
		select {
		case <-c.acked:
			return
		case <-c.ended:
			return
		default:
		}
		if !c.m.clock.Now().Before(deadline) {
			c.m.log.Warn("no ACK for 2xx, ending call", "call_id", c.a.callID)
			c.terminate("no ACK")
			return
		}
		wait := deadline.Sub(c.m.clock.Now())
		if !reliable {
			c.mu.Lock()
			res := c.answer200
			c.mu.Unlock()
			if res != nil {
				_ = c.aTx.ServerTransaction.Respond(res)
			}
			interval = min(2*interval, t2)
			wait = min(interval, wait)
		}
		c.mu.Lock()
		c.retrans = c.m.clock.AfterFunc(wait, tick)
		c.mu.Unlock()
	}
	first := 64 * t1
	if !reliable {
		first = t1
	}
	c.mu.Lock()
	c.retrans = c.m.clock.AfterFunc(first, tick)
	c.mu.Unlock()
	go func() {
		select {
		case <-c.aTx.Acks():
			c.markAcked()
		case <-c.acked:
		case <-c.ended:
		}
	}()
}

// HandleAck takes the caller's ACK for our 2xx. With a late offer (INVITE
// without SDP) the ACK carries the caller's answer, which goes to the
// callee in our ACK. ACKs are never answered.
func (m *Manager) HandleAck(_ context.Context, req *sip.Request, _ sipx.Tx) error {
	d, ok := m.lookup(req)
	if !ok || d.side != sideA {
		return nil
	}
	c := d.call
	c.mu.Lock()
	// state, not answer200: the caller's ACK can arrive before
	// respondCaller has returned the 200 it answers.
	isInitial := c.state == stateConfirmed && req.CSeq().SeqNo == c.aInvite.CSeq().SeqNo
	w := c.winner
	late := c.lateOffer
	c.mu.Unlock()
	if !isInitial {
		return nil
	}
	first := false
	select {
	case <-c.acked:
	default:
		first = true
	}
	c.markAcked()
	if first && late && w != nil {
		c.ackFork(w, w.final, req.Body())
	}
	return nil
}

// HandleBye ends a call from either side: 200 to the sender, BYE to the
// other leg, and the CDR written.
func (m *Manager) HandleBye(_ context.Context, req *sip.Request, tx sipx.Tx) error {
	d, ok := m.lookup(req)
	if !ok {
		return sipx.ErrNoDialog
	}
	c := d.call
	if d.side == sideA {
		c.waitAcked(m.timers.AckWait)
	}
	c.mu.Lock()
	st := c.state
	isWinner := d.side == sideA || (c.winner != nil && c.winner.leg.key() == dialogKey(req.CallID().Value(), tagOf(req.To().Params)))
	c.mu.Unlock()
	ends := st == stateConfirmed && isWinner
	other, why := sideB, "caller hung up"
	if d.side == sideB {
		other, why = sideA, "callee hung up"
	}
	if ends {
		// the record is committed before the 200: whoever saw the call
		// end also finds its CDR, even if the PBX dies right after
		c.markAcked()
		c.finish(cdr.Answered, 200, why)
	}
	if err := tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil)); err != nil {
		m.log.Debug("respond BYE", "error", err)
	}
	if ends {
		c.sendBye(other)
	}
	return nil
}

// HandleCancel answers a CANCEL that matched no INVITE transaction (a
// matching one is handled by the transaction layer and OnCancel).
func (m *Manager) HandleCancel(_ context.Context, _ *sip.Request, _ sipx.Tx) error {
	return sipx.ErrNoDialog
}

// redirect answers as the manual's redirect server: 301 or 302 whose
// Contacts are the subscriber's registered locations.
func (m *Manager) redirect(req *sip.Request, tx sipx.Tx, rec cdr.Record, code int, targets []Target) error {
	reason := "Moved Temporarily"
	if code == 301 {
		reason = "Moved Permanently"
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, t := range targets {
		c := t.Contact
		if c.Host == "" {
			c = t.URI
		}
		res.AppendHeader(&sip.ContactHeader{Address: *c.Clone(), Params: sip.NewParams()})
	}
	err := tx.Respond(res)
	rec.End = m.clock.Now()
	rec.Disposition = cdr.Redirected
	rec.Cause = code
	rec.Reason = reason
	m.writeCDR(rec)
	return err
}

// HandleStrayResponse takes a response that matched no client transaction.
// A retransmitted 2xx for an INVITE we sent means our ACK was lost or is
// still in flight: ACK it again (RFC 3261 §13.2.2.4); for a fork that is no
// longer wanted, ACK and BYE it.
func (m *Manager) HandleStrayResponse(res *sip.Response) {
	if !res.IsSuccess() || res.CSeq() == nil || res.CSeq().MethodName != sip.INVITE || res.From() == nil || res.CallID() == nil {
		return
	}
	key := dialogKey(res.CallID().Value(), tagOf(res.From().Params))
	m.mu.Lock()
	d, ok := m.dialogs[key]
	m.mu.Unlock()
	if !ok || d.side != sideB {
		return
	}
	c := d.call
	c.mu.Lock()
	var f *fork
	for _, g := range c.forks {
		if g.leg.key() == key {
			f = g
		}
	}
	winner := f != nil && c.winner == f
	late := c.lateOffer
	c.mu.Unlock()
	if f == nil || (winner && late) {
		return // a late-offer ACK is sent once the caller's ACK brings the answer
	}
	c.ackFork(f, res, nil)
}
