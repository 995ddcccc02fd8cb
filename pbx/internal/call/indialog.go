package call

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sdpneg"
	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/internal/sipx"
)

// inbound is an in-dialog request as the call's executor sees it; done
// closes once it has its final response, so the handler (and with it
// sipgo's server transaction) stays alive until then.
type inbound struct {
	req  *sip.Request
	tx   sipx.Tx
	done chan struct{}
}

func (in *inbound) reply(c *Call, res *sip.Response) {
	c.respond(in.tx, res)
	if res.StatusCode >= 200 {
		in.release()
	}
}

func (in *inbound) fail(c *Call, err error) { in.reply(c, sipx.ErrorResponse(in.req, err)) }

func (in *inbound) release() {
	select {
	case <-in.done:
	default:
		close(in.done)
	}
}

// dispatch hands an in-dialog request to its call's executor and waits
// until it has been answered. A request for no known dialog gets 481.
func (m *Manager) dispatch(ctx context.Context, req *sip.Request, tx sipx.Tx, h func(c *Call, l *Leg, in *inbound)) error {
	c, ok := m.lookup(req)
	if !ok {
		return sipx.ErrNoDialog
	}
	in := &inbound{req: req, tx: tx, done: make(chan struct{})}
	c.ex.post(func() {
		l := c.legFor(req)
		if l != nil && req.Method == sip.BYE && (c.phase == phaseEnded || l.state == LegTerminated || l.byeSent) {
			// a BYE crossing ours, or after the call ended: the dialog is
			// going away anyway, so agree
			in.reply(c, sip.NewResponseFromRequest(req, 200, "OK", nil))
			l.event(EvEnd)
			return
		}
		if l == nil || c.phase == phaseEnded || l.state == LegTerminated {
			in.fail(c, sipx.ErrNoDialog)
			return
		}
		h(c, l, in)
	})
	select {
	case <-in.done:
	case <-c.ended:
		// the call ended with the request unanswered (or answered just now)
		c.ex.run(func() {
			if !tx.Answered() {
				in.fail(c, sipx.ErrNoDialog)
			}
		})
	case <-ctx.Done():
	}
	return nil
}

// HandleInDialog takes a request inside a dialog (re-INVITE, UPDATE, INFO,
// and what the call layer passes to Policy.InDialog).
func (m *Manager) HandleInDialog(ctx context.Context, req *sip.Request, tx sipx.Tx) error {
	return m.dispatch(ctx, req, tx, func(c *Call, l *Leg, in *inbound) { c.inDialog(l, in) })
}

// HandleBye ends a call from either side.
func (m *Manager) HandleBye(ctx context.Context, req *sip.Request, tx sipx.Tx) error {
	return m.dispatch(ctx, req, tx, func(c *Call, l *Leg, in *inbound) { c.inDialog(l, in) })
}

// HandleAck takes an ACK for a 2xx the PBX sent. ACKs are never answered.
func (m *Manager) HandleAck(_ context.Context, req *sip.Request, _ sipx.Tx) error {
	c, ok := m.lookup(req)
	if !ok {
		return nil
	}
	c.ex.post(func() {
		if l := c.legFor(req); l != nil {
			c.onAck(l, req)
		}
	})
	return nil
}

// HandleCancel answers a CANCEL that matched no INVITE transaction (a
// matching one is handled by the transaction layer and OnCancel).
func (m *Manager) HandleCancel(context.Context, *sip.Request, sipx.Tx) error {
	return sipx.ErrNoDialog
}

// HandleStrayResponse takes a response that matched no client transaction.
// A retransmitted 2xx for an INVITE we sent means our ACK was lost: it is
// sent again; a 2xx for a dialog the call does not want is ACKed and BYEd
// (RFC 3261 §13.2.2.4).
func (m *Manager) HandleStrayResponse(res *sip.Response) {
	if !res.IsSuccess() || res.CSeq() == nil || res.CSeq().MethodName != sip.INVITE || res.From() == nil || res.CallID() == nil || res.To() == nil {
		return
	}
	m.mu.Lock()
	c, ok := m.dialogs[dialogKey(res.CallID().Value(), tagOf(res.From().Params))]
	m.mu.Unlock()
	if !ok {
		return
	}
	c.ex.post(func() {
		for _, l := range c.legs {
			if l.callID == res.CallID().Value() && l.localTag == tagOf(res.From().Params) && (l.remoteTag == tagOf(res.To().Params) || l.branch != nil) {
				c.onUAC2xx(l, res)
				return
			}
		}
	})
}

// inDialog checks an in-dialog request against its dialog (RFC 3261
// §12.2.2) and routes it: BYE ends the call, re-INVITE/UPDATE/INFO are
// relayed to the other leg (an INFO on a leg that has none goes to
// Policy.InDialog), anything else goes to Policy.InDialog.
func (c *Call) inDialog(l *Leg, in *inbound) {
	req := in.req
	if mustWaitForAck(l, req) {
		c.deferUntilAck(l, func() { c.inDialog(l, in) })
		return
	}
	seq := req.CSeq().SeqNo
	if l.remoteSeq != 0 && seq < l.remoteSeq {
		in.reply(c, sip.NewResponseFromRequest(req, 500, "CSeq Out Of Order", nil))
		return
	}
	l.remoteSeq = seq
	if mf := req.MaxForwards(); mf != nil && mf.Val() == 0 && req.Method != sip.BYE {
		in.fail(c, sipx.ErrTooManyHops)
		return
	}
	switch req.Method {
	case sip.BYE:
		c.onBye(l, in)
	case sip.INVITE, sip.UPDATE, sip.INFO:
		if c.timerInDialog(l, in) {
			return // 400/422, or a session refresh answered here (timer.go)
		}
		c.relay(l, in)
	case sip.PRACK:
		c.onPrack(l, in)
	default:
		c.passToPolicy(l, in)
	}
}

// passToPolicy gives a request the call layer does not handle to
// Policy.InDialog (REFER, SUBSCRIBE, NOTIFY, MESSAGE ...).
func (c *Call) passToPolicy(l *Leg, in *inbound) { c.askPolicy(l, in, nil) }

// askPolicy gives a request to Policy.InDialog; one it does not handle
// goes to notHandled (nil: 405 with Allow).
func (c *Call) askPolicy(l *Leg, in *inbound, notHandled func()) {
	res, err := c.m.deps.Policy.InDialog(c.ctx, InDialogRequest{Request: in.req, Leg: l, Call: c})
	switch {
	case errors.Is(err, ErrNotHandled) && notHandled != nil:
		notHandled()
	case errors.Is(err, ErrNotHandled):
		in.reply(c, sipx.ErrorResponse(in.req, sipx.Status(405, "Method Not Allowed", sip.NewHeader("Allow", sipx.Allowed))))
	case err != nil:
		in.fail(c, err)
	case res == nil:
		in.fail(c, errors.New("policy returned no response"))
	default:
		in.reply(c, res)
	}
}

// onBye ends the call: the CDR is committed first, then the sender gets
// its 200 and the other legs a BYE with the sender's Reason (RFC 3326).
func (c *Call) onBye(l *Leg, in *inbound) {
	if c.xferBye(l, in) {
		return // a transferor leaving its transfer in progress (transfer.go)
	}
	if l.detached && c.phase == phaseAnswered {
		c.byeDetached(l, in) // a leg a service detached ends alone (detach.go)
		return
	}
	ok := sip.NewResponseFromRequest(in.req, 200, "OK", nil)
	switch {
	case c.phase == phaseRinging && l == c.a:
		// a caller may end its early dialog with BYE (RFC 3261 §15)
		in.reply(c, ok)
		l.event(EvEnd)
		c.stopRinging(487, "Request Terminated", cdr.Cancelled, "caller hung up")
		return
	case l.bridge == nil || c.phase != phaseAnswered:
		// a leg the call already let go (a late fork being BYEd), or one a
		// service took out of its bridge (Split)
		in.reply(c, ok)
		l.event(EvEnd)
		c.endIfIdle()
		return
	}
	why := "callee hung up"
	if l == c.recordCaller() {
		why = "caller hung up"
	}
	if si := l.inv; si != nil && si.ok == nil && !si.tx.Answered() {
		// the sender's own re-INVITE is still out on the other leg: it
		// gets 487 now (RFC 3261 §15.1.2, RFC 5407 §3.1.3); the far
		// side's late answer to it is ACKed when it comes (relayed)
		c.respond(si.tx, sip.NewResponseFromRequest(si.req, 487, "Request Terminated", nil))
		si.release()
	}
	c.finish(cdr.Answered, 200, why)
	in.reply(c, ok)
	l.event(EvBye)
	l.event(EvEnd)
	for _, o := range c.liveLegs() {
		if o != l {
			c.endLeg(o, reasonHeaders(in.req))
		}
	}
}

// relay passes a re-INVITE, UPDATE or INFO to the other leg of the bridge
// and its final response back (RFC 3261 §14, RFC 3311, RFC 6086). SDP
// crosses the seam both ways; a re-INVITE without SDP (offer in the 2xx,
// answer in the ACK) completes when the sender's ACK brings the answer.
func (c *Call) relay(l *Leg, in *inbound) {
	req := in.req
	if c.inEarlyUpdate(l, req) {
		c.relayEarlyUpdate(l, in) // RFC 3311 in the early dialog (update_early.go)
		return
	}
	var o *Leg
	if l.bridge != nil {
		o = l.bridge.other(l)
	}
	if o != nil && !o.state.Up() {
		o = nil // a callee that failed (the call went to a service instead)
	}
	if c.phase == phaseAnswered && o == nil && req.Method == sip.INFO {
		// no far leg: the PBX itself may be the far end (a service such
		// as an IVR or voicemail collecting SIP INFO DTMF), so the policy
		// answers it; if it does not, a seam that terminates the leg does
		// (local.go), else there is no dialog to reach (481)
		c.askPolicy(l, in, func() {
			if !c.answerLocally(l, in) {
				in.fail(c, sipx.ErrNoDialog)
			}
		})
		return
	}
	if c.phase == phaseAnswered && o == nil && c.answerLocally(l, in) {
		return // the media server is the leg's far end (local.go)
	}
	if c.phase != phaseAnswered || o == nil {
		in.fail(c, sipx.ErrNoDialog)
		return
	}
	isInvite := req.Method == sip.INVITE
	if isInvite {
		if l.inv != nil {
			// an INVITE while one is in progress on the dialog (§14.2)
			res := sip.NewResponseFromRequest(req, 500, "Server Internal Error", nil)
			res.AppendHeader(sip.NewHeader("Retry-After", strconv.Itoa(rand.IntN(11))))
			in.reply(c, res)
			return
		}
		if l.outInvite || o.outInvite {
			in.reply(c, sip.NewResponseFromRequest(req, 491, "Request Pending", nil)) // glare (§14.1)
			return
		}
	}
	if c.holdLocally(l, o, in) {
		return // the PBX takes the hold itself (hold.go)
	}
	offer := hasSDP(req)
	body := req.Body()
	if offer {
		var err error
		if body, err = l.bridge.offer(l, o, body); err != nil {
			in.reply(c, sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
			return
		}
	}
	out := o.request(c.m.deps.Token, req.Method, o.nextSeq(), body, contentType(req), c.maxForwards(req))
	copyRequestHeaders(req, out)
	c.timerRelayOut(o, out)
	var si *serverInvite
	if isInvite {
		si = newServerInvite(l, req, in.tx)
		si.done = in.done // the handler waits on the request's completion
		l.inv = si
	}
	c.sendRequest(o, out, func(res *sip.Response, err error) { c.relayed(l, o, in, si, out, offer, res, err) })
}

// sendRequest sends an in-dialog request the PBX built on leg l and runs
// then on the executor with its final response (or the error that stands
// for none). A re-INVITE marks the leg busy until then (glare, §14.1).
func (c *Call) sendRequest(l *Leg, out *sip.Request, then func(*sip.Response, error)) {
	invite := out.Method == sip.INVITE
	if invite {
		l.outInvite = true
	}
	c.m.background(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, 64*c.m.timers.T1+time.Second)
		defer cancel()
		res, err := c.m.do(ctx, out)
		c.ex.post(func() {
			if invite {
				l.outInvite = false
			}
			then(res, err)
		})
	})
}

// relayed takes the final response to a relayed request.
func (c *Call) relayed(l, o *Leg, in *inbound, si *serverInvite, out *sip.Request, offer bool, res *sip.Response, err error) {
	req := in.req
	if c.phase == phaseEnded {
		if si != nil && res != nil && res.IsSuccess() {
			// the call ended while the re-INVITE was out: ACK its 2xx,
			// declining the offer it carries if the re-INVITE had none
			// (RFC 3261 §13.2.2.4), then end the leg
			var body []byte
			if !offer && hasSDP(res) {
				body, _ = sdpneg.Decline(res.Body())
			}
			c.ack(o, out.CSeq().SeqNo, body)
			c.bye(o, nil)
		}
		if !in.tx.Answered() { // a BYE of the sender may have answered it 487
			in.fail(c, sipx.ErrNoDialog)
		}
		return
	}
	if err != nil {
		res = sip.NewResponseFromRequest(out, 408, "Request Timeout", nil)
	}
	back := sip.NewResponseFromRequest(req, res.StatusCode, res.Reason, nil)
	copyRelayed(res, back)
	switch {
	case res.IsSuccess():
		c.relayed2xx(l, o, in, si, out, offer, res, back)
		return
	case res.StatusCode == 408 || res.StatusCode == 481:
		// the dialog on the far leg is gone (RFC 3261 §12.2.1.2): end the call
		if si != nil {
			l.inv = nil
			si.release()
		}
		in.reply(c, back)
		c.endBroken(o, res.StatusCode)
		return
	}
	if si != nil {
		l.inv = nil
	}
	in.reply(c, back)
}

// relayed2xx completes a relayed request's 2xx: the answer (or, for a
// late-offer re-INVITE, the offer) crosses the seam back to the sender.
func (c *Call) relayed2xx(l, o *Leg, in *inbound, si *serverInvite, out *sip.Request, offer bool, res, back *sip.Response) {
	req := in.req
	if isTargetRefresh(req.Method) {
		// a target refresh takes effect when it succeeds, on both legs
		// (RFC 6141 §4: a rejected re-INVITE leaves the remote target)
		l.refreshTarget(req)
		o.refreshTarget(res)
		back.AppendHeader(l.via.Contact(l.contactUser))
		c.timerFrom2xx(o, res) // each leg's session refreshed (timer.go)
		c.timerAnswer(l, req, back)
	}
	var body []byte
	var err error
	var onAck func(*sip.Request)
	seq := out.CSeq().SeqNo
	switch {
	case !hasSDP(res):
		body = res.Body()
	case offer:
		body, err = l.bridge.answer(o, l, res.Body())
	default: // late offer: the 2xx carries the offer, the sender's ACK the answer
		body, err = l.bridge.offer(o, l, res.Body())
		onAck = func(ack *sip.Request) {
			if p := o.lateOffer; p == nil || p.seq != seq {
				return // the call ended first: o's 2xx was ACKed declining its offer
			}
			o.lateOffer = nil
			ans, err := l.bridge.answer(l, o, ack.Body())
			if err != nil {
				c.log.Warn("late-offer answer", "leg", l.id, "error", err)
			}
			c.ack(o, seq, ans)
		}
	}
	if err != nil {
		c.log.Warn("relay through the media seam", "leg", o.id, "error", err)
	}
	if len(body) > 0 {
		back.AppendHeader(sip.NewHeader("Content-Type", contentType(res)))
		back.SetBody(body)
	}
	if si == nil {
		in.reply(c, back)
		return
	}
	if onAck == nil {
		c.ack(o, seq, nil)
	} else {
		o.lateOffer = &pendingOffer{sdp: res.Body(), seq: seq} // until the sender's ACK answers it
	}
	c.respondInvite(si, back, onAck)
}

// endBroken ends the call after an in-dialog request got 408 or 481 on leg
// o (RFC 3261 §12.2.1.2): BYE on every other leg, and on o too unless it
// said the dialog does not exist.
func (c *Call) endBroken(o *Leg, code int) {
	why := "in-dialog 408 from the far end"
	if code == 481 {
		why = "in-dialog 481 from the far end"
	}
	c.finish(cdr.Answered, 200, why)
	for _, x := range c.upLegs() {
		if x == o && code == 481 {
			x.event(EvEnd)
			continue
		}
		c.bye(x, nil)
	}
}
