package phone

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sdpneg"
)

// onInvite dispatches a new INVITE to its phone, or a re-INVITE to its call.
func (a *Agent) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		a.onSessionRefresh(req, tx)
		return
	}
	p := a.phoneFor(req)
	if p == nil {
		a.respond(tx, req, 404, "Not Found")
		return
	}
	p.handleInvite(req, tx)
}

// handleInvite runs an incoming call from INVITE to final response
// (RFC 3261 §13.3) according to the phone's answer mode. It returns once the
// final response is sent (and, for 2xx, acknowledged).
func (p *Phone) handleInvite(req *sip.Request, tx sip.ServerTransaction) {
	a := p.agent
	// The dialog UA is made per call: 100,000 idle phones need none.
	dua := &sipgo.DialogUA{Client: a.client, ContactHDR: p.contactHeader()}
	dss, err := dua.ReadInvite(req, tx)
	if err != nil {
		a.log.Info("bad invite", "error", err)
		a.respond(tx, req, 400, "Bad Request")
		return
	}
	var offer *sdpneg.Session
	if len(req.Body()) > 0 {
		if offer, err = sdpneg.Parse(req.Body()); err != nil {
			_ = dss.Respond(488, "Not Acceptable Here", nil)
			return
		}
	}
	mode, _ := p.settings()
	mc := p.mediaConfig()
	m, sdpAddr, err := a.callMedia(mc)
	if err != nil {
		a.log.Warn("incoming call without media", "error", err)
		_ = dss.Respond(500, "Server Internal Error", nil)
		return
	}
	local, far, err := answerSDP(offer, sdpAddr, mc.codecs)
	if err != nil {
		closeMedia(m)
		_ = dss.Respond(488, "Not Acceptable Here", nil)
		return
	}

	toTag, _ := dss.InviteRequest.To().Params.Get("tag")
	remote := ""
	if from := req.From(); from != nil {
		remote = from.Address.User
	}
	c := newCall(p, Incoming, callID(req), toTag, remote)
	c.media = m
	c.localSDP = local
	c.dss = dss
	c.okSent = make(chan struct{})
	c.invitedAt = a.clock.Now()
	if err := a.track(c); err != nil {
		closeMedia(m)
		_ = dss.Respond(503, "Service Unavailable", nil)
		return
	}
	defer a.wg.Done()
	p.addCall(c)
	if p.cfg.OnIncoming != nil {
		p.cfg.OnIncoming(c)
	}
	c.ring(mode, far)
}

// answerSDP builds our SDP: an answer to the offer, or our own offer when
// the INVITE had none (the answer then comes in the ACK, RFC 3261 §13.2.1).
// far is the negotiated far end, nil until known.
func answerSDP(offer *sdpneg.Session, addr netip.AddrPort, codecs []sdpneg.Codec) (local []byte, far *sdpneg.Session, err error) {
	id := rand.Uint64N(1 << 62)
	if offer == nil {
		local, err = sdpneg.Offer(addr, codecs, id)
		return local, nil, err
	}
	local, neg, err := sdpneg.Answer(offer, addr, codecs, id)
	if err != nil {
		return nil, nil, err
	}
	return local, &sdpneg.Session{Addr: offer.Addr, Codecs: neg.Codecs, Direction: offer.Direction}, nil
}

// ring sends the provisional response and waits for whatever decides the
// call: the answer delay, the test (Answer/Reject/Hangup), a CANCEL or Close.
func (c *Call) ring(mode AnswerMode, far *sdpneg.Session) {
	a := c.agent
	switch mode.Behaviour {
	case Busy:
		c.respondFinal(486, "Busy Here")
		return
	case Reject:
		c.respondFinal(603, "Decline")
		return
	}
	if mode.EarlyMedia && far != nil {
		c.mu.Lock()
		c.early = true
		c.mu.Unlock()
		_ = c.applyMedia(far)
		c.setProvisional(183)
		if !c.respondProvisional(183, "Session Progress", c.localSDP, sip.NewHeader("Content-Type", "application/sdp")) {
			return
		}
	} else {
		c.setProvisional(180)
		if !c.respondProvisional(180, "Ringing", nil) {
			return
		}
	}

	var timer <-chan time.Time
	if mode.Behaviour == Answer {
		if mode.Delay <= 0 {
			c.answerNow(far)
			return
		}
		timer = a.clock.After(mode.Delay)
	}
	select {
	case <-timer:
		c.answerNow(far)
	case ctl := <-c.control:
		if ctl.code == 200 {
			c.answerNow(far)
			return
		}
		c.respondFinal(ctl.code, reasonPhrase(ctl.code), ctl.headers...)
	case <-c.dss.Context().Done():
		// CANCEL: the transaction layer already answered 200 and 487 (RFC 3261 §9.2).
		if cause := context.Cause(c.dss.Context()); cause != nil && !errors.Is(cause, sip.ErrTransactionCanceled) && !errors.Is(cause, context.Canceled) {
			c.finish(End{By: Remote, Reason: ReasonError, Err: cause})
			return
		}
		c.finish(End{By: Remote, Reason: ReasonCancel, Code: 487})
	case <-a.ctx.Done():
		c.finish(End{By: Local, Reason: ReasonClosed})
	}
}

// uasBye sends BYE on an answered incoming call (RFC 3261 §15.1.1): to
// the caller's Contact, once our 2xx is acknowledged.
func (c *Call) uasBye(ctx context.Context) error {
	select { // the dialog is confirmed only once the 2xx is on its way
	case <-c.okSent:
	case <-ctx.Done():
		return fmt.Errorf("bye before the 2xx was sent: %w", ctx.Err())
	}
	inv := c.dss.InviteRequest
	target := inv.Recipient
	if ct := inv.Contact(); ct != nil {
		target = ct.Address
	}
	bye := sip.NewRequest(sip.BYE, *target.Clone())
	bye.SetTransport(inv.Transport())
	if err := c.agent.prepare(ctx, bye); err != nil {
		return err
	}
	return c.dss.WriteBye(ctx, bye)
}

// respondFinal declines the call with code and ends it.
func (c *Call) respondFinal(code int, reason string, headers ...sip.Header) {
	c.mu.Lock()
	c.code, c.reason = code, reason
	c.mu.Unlock()
	err := c.dss.Respond(code, reason, nil, headers...)
	if err != nil {
		c.agent.log.Debug("final response failed", "call_id", c.callID, "status", code, "error", err)
	}
	c.finish(End{By: Local, Reason: ReasonStatus, Code: code})
}

// answerNow sends 200 OK with our SDP and waits for the ACK (RFC 3261 §13.3.1.4).
func (c *Call) answerNow(far *sdpneg.Session) {
	if c.dss.Context().Err() != nil {
		c.finish(End{By: Remote, Reason: ReasonCancel, Code: 487})
		return
	}
	if !c.setAnswered() {
		return
	}
	if far != nil {
		_ = c.applyMedia(far)
	}
	ok := sip.NewSDPResponseFromRequest(c.dss.InviteRequest, c.localSDP)
	c.answerTimer(c.dss.InviteRequest, ok)
	err := c.dss.WriteResponse(ok)
	close(c.okSent) // the call is Answered since setAnswered: a Hangup may be waiting for this 2xx
	if err != nil {
		if c.State() == Ended {
			return
		}
		ctx, cancel := context.WithTimeout(c.agent.ctx, 5*time.Second)
		defer cancel()
		_ = c.byeWith(ctx, End{By: Local, Reason: ReasonError, Code: 200, Err: err})
	}
}

func reasonPhrase(code int) string {
	switch code {
	case 480:
		return "Temporarily Unavailable"
	case 486:
		return "Busy Here"
	case 487:
		return "Request Terminated"
	case 603:
		return "Decline"
	case 404:
		return "Not Found"
	}
	return "Rejected"
}

// onAck confirms the dialog of a call we answered; a late-offer ACK
// carries the SDP answer.
func (a *Agent) onAck(req *sip.Request, tx sip.ServerTransaction) {
	c := a.callFor(req)
	if c == nil {
		return
	}
	if c.dss != nil && c.dss.ReadAck(req, tx) == nil { // a re-INVITE's ACK fails the CSeq check: harmless
		c.mu.Lock()
		c.acked = true
		c.mu.Unlock()
	}
	// the answer to the offer of our 2xx to an offerless re-INVITE, on an
	// incoming or an outgoing call (a PBX joining this call to another)
	if len(req.Body()) > 0 && c.media != nil {
		if s, err := sdpneg.Parse(req.Body()); err == nil {
			_ = c.media.apply(s)
		}
	}
}

// onBye ends the call the BYE belongs to (RFC 3261 §15.1.2).
func (a *Agent) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := a.callFor(req)
	if c == nil {
		a.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if c.dss == nil || c.dss.ReadBye(req, tx) != nil {
		a.respond(tx, req, 200, "OK")
	}
	c.finish(End{By: Remote, Reason: ReasonBye})
}

// onCancel answers a CANCEL the transaction layer could not match.
func (a *Agent) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	a.respond(tx, req, 481, "Call/Transaction Does Not Exist")
}

// onUpdate answers UPDATE (RFC 3311) like a re-INVITE.
func (a *Agent) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	a.onSessionRefresh(req, tx)
}

// onSessionRefresh answers a re-INVITE or UPDATE with 200 and our current
// SDP, following the far end if its offer moved the media.
func (a *Agent) onSessionRefresh(req *sip.Request, tx sip.ServerTransaction) {
	c := a.callFor(req)
	if c == nil {
		a.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if len(req.Body()) > 0 && c.media != nil {
		if s, err := sdpneg.Parse(req.Body()); err == nil && s.Addr.IsValid() {
			c.media.stream.SetRemote(s.Addr)
		}
	}
	c.mu.Lock()
	if req.Method == sip.INVITE {
		c.reinvites++
	}
	body := refreshAnswer(c.localSDP, req.Body())
	c.mu.Unlock()
	if req.Method == sip.UPDATE && len(req.Body()) == 0 {
		body = nil // no offer, no answer (RFC 3311 §5.2)
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", body)
	if len(body) > 0 {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	contact := c.phone.contactHeader()
	res.AppendHeader(&contact)
	if _, _, ok := sessionExpires(req); ok {
		c.st.mu.Lock()
		c.st.received++
		c.st.mu.Unlock()
		c.answerTimer(req, res)
	}
	if err := tx.Respond(res); err != nil {
		a.log.Debug("session refresh response failed", "call_id", c.callID, "error", err)
	}
}
