package call

import (
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/sipx"
)

// serverInvite is an INVITE server transaction of the PBX on one leg: the
// caller's INVITE or a re-INVITE a peer sent. After a 2xx the PBX, as the
// UAS core, retransmits it from T1 doubling up to T2 until the ACK arrives,
// and after 64*T1 without ACK ends the call with BYE (RFC 3261 §13.3.1.4,
// §14.2) — for every INVITE transaction, not only the first.
type serverInvite struct {
	leg  *Leg
	req  *sip.Request
	tx   sipx.Tx
	seq  uint32
	done chan struct{} // closed when the handler may return (final sent)

	ok       *sip.Response // the 2xx, while it waits for its ACK
	acked    chan struct{}
	timer    clock.Timer
	interval time.Duration
	deadline time.Time
	// onAck completes what the ACK carries (a late offer's answer for the
	// other leg).
	onAck func(ack *sip.Request)
	// noAckWait: requests already waited AckWait for this ACK once.
	noAckWait bool
	// afterAck run once the ACK arrived or the 2xx gave up waiting for it
	// (a BYE the PBX wants to send on the leg, RFC 3261 §15).
	afterAck []func()
	gaveUp   bool
}

// acked ends the wait for the ACK and runs what waited for it.
func (si *serverInvite) ackDone() {
	if si.timer != nil {
		si.timer.Stop()
	}
	fs := si.afterAck
	si.afterAck = nil
	for _, f := range fs {
		f()
	}
}

func newServerInvite(l *Leg, req *sip.Request, tx sipx.Tx) *serverInvite {
	return &serverInvite{leg: l, req: req, tx: tx, seq: req.CSeq().SeqNo, done: make(chan struct{}), acked: make(chan struct{})}
}

func (si *serverInvite) release() {
	select {
	case <-si.done:
	default:
		close(si.done)
	}
}

// waitingAck reports whether a 2xx of this transaction awaits its ACK.
func (si *serverInvite) waitingAck() bool {
	if si == nil || si.ok == nil || si.gaveUp {
		return false
	}
	select {
	case <-si.acked:
		return false
	default:
		return true
	}
}

// response builds a response to the transaction's INVITE with the leg's
// tag, and our Contact on 1xx/2xx (RFC 3261 §12.1.1).
func (c *Call) inviteResponse(si *serverInvite, code int, reason string, body []byte) *sip.Response {
	res := sip.NewResponseFromRequest(si.req, code, reason, nil)
	if code > 100 {
		// sipgo gives every response a random To tag; a dialog's must be ours
		res.To().Params.Add("tag", si.leg.localTag)
	}
	if code > 100 && code < 300 {
		res.AppendHeader(si.leg.via.Contact(si.leg.contactUser))
		res.AppendHeader(sip.NewHeader("Allow", sipx.Allowed))
	}
	if code >= 200 && code < 300 {
		c.timerAnswer(si.leg, si.req, res)
	}
	if len(body) > 0 {
		ct := sip.ContentTypeHeader("application/sdp")
		res.AppendHeader(&ct)
		res.SetBody(body)
	}
	return res
}

// respondInvite sends res on the transaction. A final response releases
// the handler; a 2xx starts its retransmission until the ACK, which runs
// onAck.
func (c *Call) respondInvite(si *serverInvite, res *sip.Response, onAck func(*sip.Request)) {
	if si == c.aInv && c.rel100Respond(res, onAck) {
		return // sent reliably, or held for a PRACK (prack.go)
	}
	c.respond(si.tx, res)
	if res.StatusCode < 200 {
		return
	}
	if si == c.aInv {
		c.markFinalSent()
	}
	if res.StatusCode >= 300 {
		if si.leg.inv == si {
			si.leg.inv = nil
		}
		si.release()
		return
	}
	si.ok, si.onAck = res, onAck
	si.release()
	t1 := c.m.timers.T1
	si.deadline = c.m.clock.Now().Add(64 * t1)
	si.interval = t1
	first := t1
	if !strings.EqualFold(si.req.Transport(), "udp") {
		first = 64 * t1 // reliable transport: no retransmission, only the ACK timeout
	}
	si.timer = c.after(first, func() { c.retransmit2xx(si) })
	// A UA that reuses the INVITE's branch for the ACK is matched to the
	// transaction by sipgo and reaches us here instead of OnAck.
	tx := si.tx // si.tx belongs to the executor (lighten replaces it)
	go func() {
		select {
		case ack := <-tx.Acks():
			c.ex.post(func() { c.onAck(si.leg, ack) })
		case <-si.acked:
		case <-tx.Done():
		case <-c.gone:
		}
	}()
}

// retransmit2xx runs on the retransmission timer (RFC 3261 §13.3.1.4).
func (c *Call) retransmit2xx(si *serverInvite) {
	if !si.waitingAck() {
		return
	}
	now := c.m.clock.Now()
	if !now.Before(si.deadline) {
		c.log.Warn("no ACK for 2xx, ending call", "leg", si.leg.id, "cseq", si.seq)
		si.gaveUp = true
		si.ackDone()
		c.terminate("no ACK")
		return
	}
	wait := si.deadline.Sub(now)
	if strings.EqualFold(si.req.Transport(), "udp") {
		if err := si.tx.ServerTransaction.Respond(si.ok); err != nil {
			c.log.Debug("retransmit 2xx", "leg", si.leg.id, "error", err)
		}
		si.interval = min(2*si.interval, c.m.timers.T2)
		wait = min(si.interval, wait)
	}
	si.timer = c.after(wait, func() { c.retransmit2xx(si) })
}

// onAck takes an ACK for a 2xx the PBX sent on leg l: it stops the
// retransmission, completes a late offer, and runs the requests that
// waited for it. ACKs for anything else are absorbed (never answered).
func (c *Call) onAck(l *Leg, ack *sip.Request) {
	si := l.inv
	if !si.waitingAck() || ack.CSeq().SeqNo != si.seq {
		return
	}
	close(si.acked)
	l.inv = nil
	if si.req.CSeq().SeqNo == si.seq && l.state == LegAnswered {
		l.event(EvAck)
	}
	if si.onAck != nil {
		si.onAck(ack)
	}
	si.ackDone()
	c.flushDeferred(l)
	c.lighten(si)
}

// deferUntilAck holds a request that overtook the ACK of our 2xx on leg l
// (sipgo handles each message in its own goroutine, and UDP may reorder):
// it runs when the ACK arrives, or after AckWait without it.
func (c *Call) deferUntilAck(l *Leg, f func()) {
	l.deferred = append(l.deferred, f)
	if len(l.deferred) == 1 {
		si := l.inv
		l.deferTimer = c.after(c.m.timers.AckWait, func() {
			si.noAckWait = true // the ACK is late or lost: stop holding requests for it
			c.flushDeferred(l)
		})
	}
}

func (c *Call) flushDeferred(l *Leg) {
	if l.deferTimer != nil {
		l.deferTimer.Stop()
		l.deferTimer = nil
	}
	fs := l.deferred
	l.deferred = nil
	for _, f := range fs {
		f()
	}
}

// mustWaitForAck reports whether req on leg l was sent after the ACK our
// 2xx still waits for, and so must be handled after it.
func mustWaitForAck(l *Leg, req *sip.Request) bool {
	return l.inv.waitingAck() && !l.inv.noAckWait && req.CSeq().SeqNo > l.inv.seq
}
