package call

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/internal/sipx"
)

// fork is one branch of a call towards one contact of the callee.
type fork struct {
	c             *Call
	leg           *leg
	target        Target
	invite        *sip.Request
	tx            sip.ClientTransaction
	provisional   bool // a provisional arrived, so CANCEL may be sent (RFC 3261 §9.1)
	cancelPending bool // CANCEL wanted before any provisional arrived
	cancelSent    bool
	cancelReason  string
	final         *sip.Response
}

// newFork builds the callee-side INVITE for target. Caller holds c.mu.
func (c *Call) newFork(t Target) (*fork, error) {
	ap, err := netip.ParseAddrPort(t.Dest)
	if err != nil {
		return nil, fmt.Errorf("fork to %s: %w", t.Dest, err)
	}
	local, ok := c.m.deps.Local(t.Transport, ap)
	if !ok {
		return nil, fmt.Errorf("fork to %s over %s: %w", t.Dest, t.Transport, sipx.ErrUnavailable)
	}
	a := c.aInvite
	from := a.From()
	l := &leg{
		callID:       sipx.NewCallID(),
		localTag:     sipx.NewTag(),
		local:        sip.Uri{Scheme: "sip", User: c.rec.Caller, Host: local.Addr.Addr().String(), UriParams: sip.NewParams(), Headers: sip.NewParams()},
		localName:    from.DisplayName,
		remote:       sip.Uri{Scheme: "sip", User: c.rec.Callee, Host: local.Addr.Addr().String(), UriParams: sip.NewParams(), Headers: sip.NewParams()},
		remoteTarget: *t.URI.Clone(),
		dest:         t.Dest,
		via:          local,
		contactUser:  c.rec.Caller,
	}
	req := l.request(c.m.deps.Token, sip.INVITE, l.nextSeq(), a.Body(), contentType(a))
	if mf := a.MaxForwards(); mf != nil {
		v := sip.MaxForwardsHeader(mf.Val() - 1)
		req.ReplaceHeader(&v)
	}
	for _, name := range []string{"Supported", "Allow", "User-Agent"} {
		for _, h := range a.GetHeaders(name) {
			req.AppendHeader(sip.NewHeader(name, h.Value()))
		}
	}
	return &fork{c: c, leg: l, target: t, invite: req}, nil
}

// run sends the fork's INVITE and feeds its responses to the call.
func (f *fork) run() {
	c := f.c
	// The transaction lives on the manager's context, not the call's: a
	// fork that answers after the call ended must still be ACKed and BYEd.
	tx, err := c.m.deps.Sender.Request(c.m.base, f.invite)
	if err != nil {
		c.m.log.Warn("send INVITE", "target", f.target.Dest, "error", err)
		c.onForkFinal(f, sip.NewResponseFromRequest(f.invite, 503, "Service Unavailable", nil))
		return
	}
	c.mu.Lock()
	f.tx = tx
	c.mu.Unlock()
	tx.OnRetransmission(func(res *sip.Response) {
		if res.IsSuccess() {
			c.onFork2xx(f, res, true)
		}
	})
	for {
		select {
		case res, ok := <-tx.Responses():
			if !ok {
				c.onForkFinal(f, timeoutResponse(f.invite, tx.Err()))
				return
			}
			switch {
			case res.StatusCode < 200:
				c.onForkProvisional(f, res)
			case res.IsSuccess():
				c.onFork2xx(f, res, false)
				return
			default:
				c.onForkFinal(f, res)
				return
			}
		case <-tx.Done():
			c.onForkFinal(f, timeoutResponse(f.invite, tx.Err()))
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

// onForkProvisional relays 180/183 to the caller. Early media rule: the
// caller has one early dialog with the PBX, so it gets the SDP of the
// FIRST fork that sends early media; later forks' provisional responses
// are relayed without SDP (as 180), so the caller never sees two answers.
func (c *Call) onForkProvisional(f *fork, res *sip.Response) {
	c.mu.Lock()
	f.provisional = true
	if f.cancelPending && !f.cancelSent {
		c.mu.Unlock()
		c.sendCancel(f)
		return
	}
	if c.state != stateCalling || c.cancelled || res.StatusCode == 100 {
		c.mu.Unlock()
		return
	}
	code, reason := res.StatusCode, res.Reason
	var body []byte
	if hasSDP(res) {
		if c.early == nil {
			c.early = f
		}
		if c.early == f {
			body = res.Body()
		} else {
			code, reason = 180, "Ringing"
		}
	}
	c.mu.Unlock()
	c.respondCaller(code, reason, body)
}

// onFork2xx handles a 2xx from a fork: the first one wins the call; any
// other (a late answer from another fork, or one after the caller gave up)
// gets ACK then BYE (RFC 3261 §13.2.2.4, RFC 5359 §2.x).
func (c *Call) onFork2xx(f *fork, res *sip.Response, retransmission bool) {
	c.mu.Lock()
	if c.winner == f {
		c.mu.Unlock()
		if retransmission && !c.lateOffer {
			c.ackFork(f, res, nil) // our ACK was lost: send it again
		}
		return
	}
	f.final = res
	f.leg.remoteTag = tagOf(res.To().Params)
	if uri, ok := contactOf(res); ok {
		f.leg.remoteTarget = uri
	}
	f.leg.routeSet = routeSetFrom(res, true)
	if c.winner != nil || c.cancelled || c.state != stateCalling {
		c.mu.Unlock()
		c.ackFork(f, res, nil)
		c.byeFork(f)
		c.maybeComplete()
		return
	}
	c.winner = f
	c.state = stateConfirmed
	c.rec.Answer = c.m.clock.Now()
	if c.noAnswer != nil {
		c.noAnswer.Stop()
	}
	losers := c.losers(f)
	for _, l := range losers {
		l.cancelReason = `SIP ;cause=200 ;text="Call completed elsewhere"`
	}
	late := c.lateOffer
	c.mu.Unlock()

	if !late {
		c.ackFork(f, res, nil)
	}
	for _, l := range losers {
		c.cancelFork(l)
	}
	ok := c.respondCaller(200, "OK", res.Body())
	c.mu.Lock()
	c.answer200 = ok
	id, at := c.cdrID, c.rec.Answer
	c.mu.Unlock()
	c.startRetransmit()
	ctx, cancel := context.WithTimeout(context.Background(), 4*c.m.timers.T2)
	defer cancel()
	if err := c.m.deps.CDR.Answered(ctx, id, at); err != nil {
		c.m.log.Warn("record answer", "call_id", c.a.callID, "error", err)
	}
}

// losers are the forks other than w still without a final response.
func (c *Call) losers(w *fork) []*fork {
	var out []*fork
	for _, f := range c.forks {
		if f != w && f.final == nil {
			out = append(out, f)
		}
	}
	return out
}

// onForkFinal records a non-2xx final response; once every fork has one and
// none answered, the caller gets the best of them.
func (c *Call) onForkFinal(f *fork, res *sip.Response) {
	c.mu.Lock()
	if f.final != nil {
		c.mu.Unlock()
		return
	}
	f.final = res
	c.mu.Unlock()
	c.maybeComplete()
}

// maybeComplete answers the caller once every fork has a final response
// and none answered.
func (c *Call) maybeComplete() {
	c.mu.Lock()
	done := true
	var finals []*sip.Response
	for _, g := range c.forks {
		if g.final == nil {
			done = false
		} else {
			finals = append(finals, g.final)
		}
	}
	if !done || c.winner != nil || c.state != stateCalling {
		c.mu.Unlock()
		return
	}
	cancelled := c.cancelled
	c.state = stateTerminated
	c.mu.Unlock()
	if cancelled {
		return // the caller already has its answer and the record is written
	}
	best := bestResponse(finals)
	c.respondCaller(best.StatusCode, best.Reason, nil)
	c.finish(dispositionFor(best.StatusCode), best.StatusCode, best.Reason)
}

// bestResponse chooses the response for the caller when every fork failed
// (after RFC 3261 §16.7 (6)): a 6xx wins; else 486 if any callee was busy
// ("all busy"); else the lowest class, the first of it.
func bestResponse(finals []*sip.Response) *sip.Response {
	var best *sip.Response
	for _, r := range finals {
		switch {
		case r.StatusCode >= 600:
			return r
		case best == nil:
			best = r
		case r.StatusCode == 486 && best.StatusCode != 486:
			best = r
		case best.StatusCode != 486 && r.StatusCode/100 < best.StatusCode/100:
			best = r
		}
	}
	return best
}

func dispositionFor(code int) cdr.Disposition {
	switch {
	case code >= 200 && code < 300:
		return cdr.Answered
	case code >= 300 && code < 400:
		return cdr.Redirected
	case code == 486 || code == 600:
		return cdr.Busy
	case code == 487:
		return cdr.Cancelled
	case code == 603:
		return cdr.Rejected
	case code == 408 || code == 480:
		return cdr.NoAnswer
	}
	return cdr.Failed
}

// cancelFork sends CANCEL now if the fork has had a provisional response,
// or as soon as one arrives (RFC 3261 §9.1).
func (c *Call) cancelFork(f *fork) {
	c.mu.Lock()
	if f.final != nil || f.cancelSent {
		c.mu.Unlock()
		return
	}
	if !f.provisional {
		f.cancelPending = true
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.sendCancel(f)
}

func (c *Call) sendCancel(f *fork) {
	c.mu.Lock()
	if f.cancelSent {
		c.mu.Unlock()
		return
	}
	f.cancelSent = true
	reason := f.cancelReason
	c.mu.Unlock()
	req := cancelFor(f.invite)
	if reason != "" {
		req.AppendHeader(sip.NewHeader("Reason", reason))
	}
	f.leg.via.Prepare(req, f.leg.dest)
	ctx, cancel := context.WithTimeout(context.Background(), 64*c.m.timers.T1)
	defer cancel()
	if _, err := c.m.do(ctx, req); err != nil {
		c.m.log.Debug("CANCEL", "call_id", f.leg.callID, "error", err)
	}
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

// ackFork ACKs a 2xx from a fork (RFC 3261 §13.2.2.4): a new transaction
// with the INVITE's CSeq number, sent straight to the transport.
func (c *Call) ackFork(f *fork, res *sip.Response, body []byte) {
	ack := f.leg.request(c.m.deps.Token, sip.ACK, f.invite.CSeq().SeqNo, body, "application/sdp")
	if err := c.m.deps.Sender.Write(ack); err != nil {
		c.m.log.Warn("send ACK", "call_id", f.leg.callID, "status", strconv.Itoa(res.StatusCode), "error", err)
	}
}

// byeFork ends a fork's dialog that answered too late.
func (c *Call) byeFork(f *fork) {
	req := f.leg.request(c.m.deps.Token, sip.BYE, f.leg.nextSeq(), nil, "")
	ctx, cancel := context.WithTimeout(context.Background(), 64*c.m.timers.T1)
	defer cancel()
	if _, err := c.m.do(ctx, req); err != nil {
		c.m.log.Debug("BYE late fork", "call_id", f.leg.callID, "error", err)
	}
}
