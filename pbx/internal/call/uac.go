package call

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
	"pbxlab/internal/sdpneg"
	"pbxlab/pbx/internal/sipx"
)

// branch is one INVITE client transaction the PBX sent for a call: one
// target. Its first leg is the dialog in formation; responses with other To
// tags (a forking proxy behind the target) add sibling legs.
type branch struct {
	target Target
	invite *sip.Request
	legs   []*Leg // legs[0] is the leg the INVITE was built for

	provisional   bool // a provisional arrived, so CANCEL may be sent (RFC 3261 §9.1)
	cancelPending bool // CANCEL wanted before any provisional arrived
	cancelSent    bool
	cancelReasons []sip.Header
	final         *sip.Response
	ring          clock.Timer // sequential decisions: how long this target rings
	progress      clock.Timer // how long the target may send only 100 (progress.go)
	progressed    bool        // a provisional beyond 100 or a final arrived
	auths         int         // INVITEs re-sent with credentials (uac_auth.go)
	// onResponse takes every response on the executor.
	onResponse func(*branch, *sip.Response)
}

// originate builds a UAC leg towards t and its INVITE, carrying the offer
// that arrived on leg from as the bridge's seam maps it (none for a late
// offer), and starts the transaction. Responses come back to the call's
// executor.
func (c *Call) originate(t Target, from *Leg, offer []byte, onResponse func(*branch, *sip.Response)) (*branch, error) {
	ap, err := netip.ParseAddrPort(t.Dest)
	if err != nil {
		return nil, fmt.Errorf("originate to %s: %w", t.Dest, err)
	}
	local, ok := c.m.deps.Local(t.Transport, ap)
	if !ok {
		return nil, fmt.Errorf("originate to %s over %s: %w", t.Dest, t.Transport, sipx.ErrUnavailable)
	}
	host := local.Addr.Addr().String()
	calling := c.rec.Caller
	if c.presented != "" {
		calling = c.presented // number substitution
	}
	l := &Leg{
		id:           c.newLegID(),
		role:         UAC,
		callID:       sipx.NewCallID(),
		localTag:     sipx.NewTag(),
		local:        sip.Uri{Scheme: "sip", User: calling, Host: host},
		localName:    c.callerName(),
		remote:       sip.Uri{Scheme: "sip", User: c.rec.Callee, Host: host},
		remoteTarget: *t.URI.Clone(),
		dest:         t.Dest,
		via:          local,
		contactUser:  calling,
	}
	if id := t.Identity; id != nil {
		if id.User != "" {
			l.local.User, l.contactUser = id.User, id.User
		}
		if id.Host != "" {
			l.local.Host = id.Host
		}
		if id.Name != "" {
			l.localName = id.Name
		}
	}
	c.addLeg(l)
	var body []byte
	if len(offer) > 0 && from != nil && from.bridge != nil {
		br := from.bridge
		br.add(l)
		var err error
		if body, err = br.offer(from, l, offer); err != nil {
			br.remove(l)
			l.event(EvEnd)
			return nil, fmt.Errorf("originate to %s: %w", t.Dest, err)
		}
	}
	ct := ""
	if len(body) > 0 {
		ct = "application/sdp"
	}
	// Max-Forwards is decremented, never reset (RFC 3261 §16.6 (3)); the
	// PBX offers only what it does itself (Allow, Supported: 100rel).
	inv := l.request(c.m.deps.Token, sip.INVITE, l.nextSeq(), body, ct, c.maxForwards(c.callerInvite()))
	c.forks++
	if k := targetKey(t); !slices.Contains(c.tried, k) {
		c.tried = append(c.tried, k)
	}
	if !c.m.noRel100 {
		inv.AppendHeader(rel100Supported()) // 100rel, per leg (prack_uac.go)
	}
	for _, v := range c.diversions {
		inv.AppendHeader(sip.NewHeader("Diversion", v))
	}
	if t.Identity != nil {
		for _, h := range t.Identity.Headers {
			inv.AppendHeader(sip.HeaderClone(h))
		}
	}
	for _, h := range withDivertCause(historyHeaders(c.callerInvite(), t.URI, c.forks), c.divertCause) {
		inv.AppendHeader(h)
	}
	c.timerOffer(l, t.SessionTimer, inv)
	b := &branch{target: t, invite: inv, legs: []*Leg{l}, onResponse: onResponse}
	l.branch = b
	l.event(EvInvite)
	c.m.pool.Go(func() { c.runBranch(b) }) // a grown stack: sipgo and the send path run on it
	return b, nil
}

// maxForwards is the Max-Forwards for a request the PBX sends because of
// req: one less than req's, or 70 when it has none.
func (c *Call) maxForwards(req *sip.Request) int {
	if req == nil {
		return 70
	}
	if mf := req.MaxForwards(); mf != nil {
		return max(int(mf.Val())-1, 0)
	}
	return 70
}

// runBranch sends the branch's INVITE and posts its responses to the call.
// The transaction lives on the manager's context, not the call's: a fork
// that answers after the call ended must still be ACKed and BYEd.
func (c *Call) runBranch(b *branch) {
	tx, err := c.m.request(c.m.base, b.invite)
	if err != nil {
		c.log.Warn("send INVITE", "target", b.target.Dest, "error", err)
		res := sip.NewResponseFromRequest(b.invite, 503, "Service Unavailable", nil)
		c.ex.post(func() { b.onResponse(b, res) })
		return
	}
	// The transaction is not kept: it is only read here, and a reference
	// from the branch would keep it, and the final response it holds,
	// for the life of the call.
	tx.OnRetransmission(func(res *sip.Response) {
		if res.IsSuccess() {
			c.ex.post(func() { c.onUAC2xx(b.legs[0], res) })
		}
	})
	for {
		select {
		case res, ok := <-tx.Responses():
			if !ok {
				res := timeoutResponse(b.invite, tx.Err())
				c.ex.post(func() { b.onResponse(b, res) })
				return
			}
			sipx.UseSDPPart(res) // a carrier's SDP + ISUP: the SDP is what counts
			if res.StatusCode >= 400 && c.challenged(b, res) {
				return // re-sent with credentials (uac_auth.go)
			}
			if res.StatusCode == 422 { // RFC 4028 §7.4: maybe once more (timer.go)
				c.ex.post(func() {
					if !c.retry422(b, res) {
						b.onResponse(b, res)
					}
				})
				return
			}
			c.ex.post(func() { b.onResponse(b, res) })
			if res.StatusCode >= 200 {
				if res.IsSuccess() {
					settle := func(string, error) { c.ex.post(func() { c.settle(b) }) }
					if !tx.OnTerminate(settle) {
						settle("", nil)
					}
				}
				return
			}
		case <-tx.Done():
			res := timeoutResponse(b.invite, tx.Err())
			c.ex.post(func() { b.onResponse(b, res) })
			return
		}
	}
}

func timeoutResponse(req *sip.Request, err error) *sip.Response {
	if errors.Is(err, sip.ErrTransactionTransport) {
		return sip.NewResponseFromRequest(req, 503, "Service Unavailable", nil)
	}
	return sip.NewResponseFromRequest(req, 408, "Request Timeout", nil)
}

// branchLeg returns the leg of b for a response's To tag: the dialog in
// formation takes the first tag, any other tag makes a sibling leg (an
// early dialog with another fork behind the target).
func (c *Call) branchLeg(b *branch, res *sip.Response) *Leg {
	tag := tagOf(res.To().Params)
	first := b.legs[0]
	if tag == "" {
		return first
	}
	for _, l := range b.legs {
		if l.remoteTag == tag {
			return l
		}
	}
	if first.remoteTag == "" {
		first.remoteTag = tag
		first.routeSet = routeSetFrom(res, true)
		return first
	}
	s := first.sibling(c.newLegID(), tag)
	s.routeSet = routeSetFrom(res, true)
	b.legs = append(b.legs, s)
	c.addLeg(s)
	if first.bridge != nil && (first.state == LegTrying || first.state == LegEarly) {
		// while the INVITE is pending, the early dialog of another fork
		// behind the same target is in the same bridge: the offer that
		// reached the first crossed to it too. Once one answered, another
		// To tag is unwanted (ACK and BYE).
		first.bridge.add(s)
	}
	c.log.Debug("early dialog", "leg", s.id, "of", first.id, "to_tag", tag)
	return s
}

// ack sends the ACK for a 2xx on leg l (RFC 3261 §13.2.2.4): a new
// transaction with the INVITE's CSeq number, sent straight to the
// transport. The ACK is kept and resent if the 2xx is retransmitted.
func (c *Call) ack(l *Leg, seq uint32, body []byte) {
	ct := ""
	if len(body) > 0 {
		ct = "application/sdp"
	}
	a := l.request(c.m.deps.Token, sip.ACK, seq, body, ct, -1)
	l.keepAck(seq, a)
	if l.branch != nil && seq == l.branch.invite.CSeq().SeqNo {
		l.event(EvAck)
	}
	c.send(a)
}

// send writes a request outside any transaction (ACK).
func (c *Call) send(req *sip.Request) {
	if err := c.m.base.Err(); err != nil {
		c.log.Debug("send after close", "method", req.Method, "error", err)
		return // see Manager.request
	}
	if err := c.m.deps.Sender.Write(req); err != nil {
		c.log.Warn("send", "method", req.Method, "error", err)
	}
}

// onUAC2xx handles a 2xx for an INVITE the PBX sent that is not news: a
// retransmission of a 2xx we already ACKed gets the same ACK again; one
// still waiting for the other leg's late-offer answer is left for it; a 2xx
// from a dialog the call does not want (another To tag, a leg no longer in
// the bridge) is ACKed and ended with BYE (RFC 3261 §13.2.2.4).
func (c *Call) onUAC2xx(l *Leg, res *sip.Response) {
	if b := l.branch; b != nil && tagOf(res.To().Params) != l.remoteTag {
		l = c.branchLeg(b, res)
	}
	seq := res.CSeq().SeqNo
	if c.resendAck(l, seq) {
		return
	}
	if l == c.winner || (l.bridge != nil && l.state.Up()) || l.lateOffer != nil {
		return // its ACK waits for the other leg's answer
	}
	c.ackAndBye(l, res)
}

// ackAndBye takes a 2xx the call does not want: ACK (with an answer that
// declines every stream if the 2xx carried an offer) then BYE.
func (c *Call) ackAndBye(l *Leg, res *sip.Response) {
	if l.state != LegAnswered && l.state != LegConfirmed {
		l.event(EvAnswer)
	}
	l.refreshTarget(res)
	var body []byte
	if l.branch != nil && len(l.branch.invite.Body()) == 0 && hasSDP(res) {
		if d, err := sdpneg.Decline(res.Body()); err == nil {
			body = d
		}
	}
	c.ack(l, res.CSeq().SeqNo, body)
	c.bye(l, nil)
}

// ackPendingOffer ACKs the 2xx on l whose offer is still waiting for an
// answer from another leg that will not come (the call is ending): every
// 2xx is ACKed, and the ACK of an offer carries an answer (RFC 3261
// §13.2.2.4), here one that declines every stream (RFC 3264 §6).
func (c *Call) ackPendingOffer(l *Leg) {
	p := l.lateOffer
	if p == nil {
		return
	}
	l.lateOffer = nil
	body, err := sdpneg.Decline(p.sdp)
	if err != nil {
		c.log.Warn("decline a pending offer", "leg", l.id, "error", err)
	}
	c.ack(l, p.seq, body)
}

// cancelBranch sends CANCEL now if the branch has had a provisional
// response, or as soon as one arrives (RFC 3261 §9.1).
func (c *Call) cancelBranch(b *branch, reasons []sip.Header) {
	if b.final != nil || b.cancelSent || b.cancelPending {
		// answered, failed, or already being cancelled
		return
	}
	b.cancelReasons = reasons
	for _, l := range b.legs {
		l.event(EvCancel)
	}
	if !b.provisional {
		b.cancelPending = true
		return
	}
	c.sendCancel(b)
}

func (c *Call) sendCancel(b *branch) {
	if b.cancelSent {
		return
	}
	b.cancelSent = true
	req := cancelFor(b.invite)
	for _, h := range b.cancelReasons {
		req.AppendHeader(sip.HeaderClone(h))
	}
	b.legs[0].via.Prepare(req, b.legs[0].dest)
	c.m.background(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, 64*c.m.timers.T1)
		defer cancel()
		if _, err := c.m.do(ctx, req); err != nil {
			c.log.Debug("CANCEL", "leg", b.legs[0].id, "error", err)
		}
	})
}

// cancelFor builds a CANCEL for an INVITE we sent (RFC 3261 §9.1): same
// Request-URI, top Via, Call-ID, From, To and CSeq number.
func cancelFor(inv *sip.Request) *sip.Request {
	req := sip.NewRequest(sip.CANCEL, *inv.Recipient.Clone())
	req.AppendHeader(inv.Via().Clone())
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	for _, h := range inv.GetHeaders("Route") {
		req.AppendHeader(sip.HeaderClone(h))
	}
	req.AppendHeader(sip.HeaderClone(inv.From()))
	req.AppendHeader(sip.HeaderClone(inv.To()))
	req.AppendHeader(sip.HeaderClone(inv.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.CANCEL})
	req.SetBody(nil)
	return req
}

// reasonHeaders returns m's Reason headers (RFC 3326), to carry them to
// the other leg.
func reasonHeaders(m sip.Message) []sip.Header {
	return m.GetHeaders("Reason")
}
