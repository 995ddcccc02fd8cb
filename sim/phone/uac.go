package phone

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sdpneg"
)

// Timers of the UAC core. They are protocol timers, run in real time like
// sipgo's transaction timers, not on the Agent clock.
const (
	// cancelWait is how long a UAC waits for the final response after
	// CANCEL before giving up (64*T1, RFC 3261 §9.1).
	cancelWait = 64 * 500 * time.Millisecond
	// requestTimeout bounds a request we send and wait for (BYE, CANCEL, REGISTER refresh).
	requestTimeout = 64 * 500 * time.Millisecond
)

// maxAuthAttempts bounds digest retries of one INVITE (a stale nonce may
// legitimately need a second one).
const maxAuthAttempts = 2

// uacDialog is the dialog state of an answered outgoing call (RFC 3261 §12.1.2).
type uacDialog struct {
	target sip.Uri       // remote target: Contact of the 2xx
	to     *sip.ToHeader // with the remote tag
	routes []sip.Header  // Route set: Record-Route of the 2xx, reversed
	cseq   uint32        // our last CSeq
	ack    *sip.Request
}

// runOutgoing follows the INVITE to its final response (RFC 3261 §13.2.2):
// it records provisional responses, answers 401/407 with digest, sends
// CANCEL when Hangup asks (only once a provisional has arrived, §9.1), ACKs
// a 2xx and starts the media.
func (c *Call) runOutgoing(tx sip.ClientTransaction) {
	defer close(c.waitDone)
	a := c.agent
	p := c.phone
	req := c.invite
	var (
		provisional   bool
		hangup        = c.hangup
		hangupPending bool
		cancelled     bool
		cancelTimeout <-chan time.Time
		cancelRes     = make(chan *sip.Response, 1)
		authAttempts  int
	)
	sendCancel := func() {
		cancelled = true
		cancelTimeout = time.After(cancelWait)
		c.sendCancel(req, cancelRes)
	}
	for {
		select {
		case res := <-tx.Responses():
			code := res.StatusCode
			switch {
			case code < 200:
				provisional = true
				if c.takeProvisional(res) { // 100rel: PRACKed, retransmissions dropped (prack.go)
					c.onResponse(res)
				}
				if hangupPending && !cancelled {
					sendCancel()
				}
			case code < 300:
				c.confirm(tx, req, res)
				if hangupPending { // the 2xx crossed our CANCEL: ACK, then BYE (§9.1)
					ctx, cancel := context.WithTimeout(a.ctx, requestTimeout)
					_ = c.bye(ctx)
					cancel()
				}
				return
			case (code == 401 || code == 407) && p.cfg.Password != "" && authAttempts < maxAuthAttempts && !hangupPending:
				authAttempts++
				// sipgo's TransactionDigestAuth rewrites the request it is
				// given (credentials, CSeq, Via) and sends it as the new
				// transaction, yet the challenged transaction keeps that
				// request: the ACK it sends for a retransmitted 401/407
				// would carry the new transaction's branch and CSeq (and
				// race with the rewrite). Authenticate a copy.
				authReq := req.Clone()
				ctx, cancel := context.WithTimeout(a.ctx, requestTimeout)
				next, err := a.client.TransactionDigestAuth(ctx, authReq, res, sipgo.DigestAuth{Username: p.cfg.Username, Password: p.cfg.Password})
				cancel()
				if err != nil {
					c.finish(End{By: Local, Reason: ReasonError, Err: fmt.Errorf("invite auth: %w", err)})
					return
				}
				req = c.setInvite(authReq)
				tx, provisional = next, false
			case code == 422 && !hangupPending:
				// RFC 4028 §7.4: once more with the 422's Min-SE, on a
				// copy of the request (see the 401/407 case)
				retry := req.Clone()
				next := c.retry422(retry, res)
				if next == nil {
					c.finishStatus(Remote, code, res.Reason)
					return
				}
				req = c.setInvite(retry)
				tx, provisional = next, false
			case cancelled && code == 487:
				c.finish(End{By: Local, Reason: ReasonCancel, Code: 487})
				return
			default:
				c.finishStatus(Remote, code, res.Reason)
				return
			}
		case <-tx.Done():
			err := tx.Err()
			if err == nil {
				err = sip.ErrTransactionTerminated
			}
			switch {
			case a.ctx.Err() != nil:
				c.finish(End{By: Local, Reason: ReasonClosed})
			case cancelled:
				c.finish(End{By: Local, Reason: ReasonCancel, Err: err})
			case errors.Is(err, sip.ErrTransactionTimeout):
				// A timeout is treated as 408 (RFC 3261 §8.1.3.1).
				c.finish(End{By: Remote, Reason: ReasonError, Code: 408, Err: err})
			default:
				c.finish(End{By: Local, Reason: ReasonError, Err: err})
			}
			return
		case <-hangup:
			hangup, hangupPending = nil, true
			if provisional {
				sendCancel()
			}
		case res := <-cancelRes:
			if res.IsSuccess() {
				continue // now wait for the INVITE's 487
			}
			// The server has no such transaction (481 and the like): no 487
			// will come, give up now rather than after 64*T1.
			tx.Terminate()
			c.finish(End{By: Local, Reason: ReasonCancel,
				Err: &StatusError{Method: "CANCEL", Code: res.StatusCode, Reason: res.Reason}})
			return
		case <-cancelTimeout:
			tx.Terminate()
			c.finish(End{By: Local, Reason: ReasonCancel, Err: errors.New("no final response to the cancelled INVITE")})
			return
		case <-a.ctx.Done():
			tx.Terminate()
			c.finish(End{By: Local, Reason: ReasonClosed})
			return
		}
	}
}

// setInvite makes req the call's INVITE (the one a CANCEL, a PRACK or an
// early UPDATE follows) and returns it.
func (c *Call) setInvite(req *sip.Request) *sip.Request {
	c.mu.Lock()
	c.invite = req
	c.mu.Unlock()
	return req
}

// onResponse records a provisional response; a 183 with SDP starts early
// media (RFC 3960): we listen to the far end before the answer.
func (c *Call) onResponse(res *sip.Response) {
	if res.StatusCode == 183 && len(res.Body()) > 0 {
		if s, err := sdpneg.Parse(res.Body()); err == nil && c.applyMedia(s) == nil {
			c.mu.Lock()
			c.early = true
			c.mu.Unlock()
		}
	}
	if to := res.To(); to != nil && res.StatusCode > 100 {
		if tag, ok := to.Params.Get("tag"); ok && tag != "" {
			c.mu.Lock()
			c.earlyTag = tag
			c.mu.Unlock()
		}
	}
	c.setProvisional(res.StatusCode) // last: it wakes WaitRinging
}

// sendCancel sends CANCEL for the INVITE req (RFC 3261 §9.1): same
// Request-URI, top Via, From, To, Call-ID and CSeq number. Its final
// response goes to result; the INVITE's 487 comes on the INVITE transaction.
func (c *Call) sendCancel(req *sip.Request, result chan<- *sip.Response) {
	a := c.agent
	cancel := sip.NewRequest(sip.CANCEL, *req.Recipient.Clone())
	cancel.AppendHeader(sip.HeaderClone(req.Via()))
	cancel.AppendHeader(sip.HeaderClone(req.From()))
	cancel.AppendHeader(sip.HeaderClone(req.To()))
	cancel.AppendHeader(sip.HeaderClone(req.CallID()))
	cancel.AppendHeader(&sip.CSeqHeader{SeqNo: req.CSeq().SeqNo, MethodName: sip.CANCEL})
	maxFwd := sip.MaxForwardsHeader(70)
	cancel.AppendHeader(&maxFwd)
	sip.CopyHeaders("Route", req, cancel)
	cancel.SetTransport(req.Transport())
	cancel.SetDestination(req.Destination())
	a.withLocalAddr(cancel)
	a.background(func(ctx context.Context) {
		res, err := a.do(ctx, cancel)
		if err != nil {
			a.log.Debug("cancel failed", "call_id", c.callID, "error", err)
			return
		}
		result <- res // buffered: never blocks
	})
}

// confirm handles the 2xx: builds the dialog, ACKs (RFC 3261 §13.2.2.4),
// re-ACKs retransmitted 2xx, and starts the media.
func (c *Call) confirm(tx sip.ClientTransaction, req *sip.Request, res *sip.Response) {
	a := c.agent
	d := &uacDialog{target: req.Recipient, cseq: req.CSeq().SeqNo}
	if ct := res.Contact(); ct != nil {
		d.target = ct.Address
	}
	if to := res.To(); to != nil {
		d.to = sip.HeaderClone(to).(*sip.ToHeader)
	}
	rr := res.GetHeaders("Record-Route")
	for i := len(rr) - 1; i >= 0; i-- {
		d.routes = append(d.routes, sip.NewHeader("Route", rr[i].Value()))
	}
	d.ack = c.inDialog(d, sip.ACK, d.cseq)
	d.cseq = c.dialogCSeq(d.cseq) // after the PRACKs of the early dialog
	// the ACK is sent as built; d.ack keeps the Via sipgo adds, which the
	// copy for a retransmitted 2xx drops for a new one (a new branch, as
	// for every ACK we send)
	ack := d.ack
	var err error
	if a.dialer != nil { // a TCP connection may need dialling (tcpdial.go)
		ctx, cancel := context.WithTimeout(a.ctx, dialTimeout)
		err = a.prepare(ctx, ack)
		cancel()
	}
	if err == nil {
		err = a.client.WriteRequest(ack)
	}
	if err != nil {
		c.setAnswered()
		c.finish(End{By: Local, Reason: ReasonError, Code: 200, Err: fmt.Errorf("ack: %w", err)})
		return
	}
	tx.OnRetransmission(func(r *sip.Response) {
		if r.IsSuccess() {
			re := d.ack.Clone()
			re.RemoveHeader("Via")
			_ = a.client.WriteRequest(re)
		}
	})
	c.mu.Lock()
	c.uac = d
	c.mu.Unlock()
	if !c.setAnswered() {
		return
	}
	c.confirmTimer(res)
	if err := c.applyAnswer(res.Body()); err != nil {
		a.log.Info("answer without usable sdp, hanging up", "call_id", c.callID, "error", err)
		ctx, cancel := context.WithTimeout(a.ctx, requestTimeout)
		defer cancel()
		_ = c.byeWith(ctx, End{By: Local, Reason: ReasonError, Code: 200, Err: fmt.Errorf("%w: %w", ErrNoMedia, err)})
	}
}

// inDialog builds a request within the UAC dialog (RFC 3261 §12.2.1.1).
func (c *Call) inDialog(d *uacDialog, method sip.RequestMethod, cseq uint32) *sip.Request {
	inv := c.invite
	r := sip.NewRequest(method, *d.target.Clone())
	r.AppendHeader(sip.HeaderClone(inv.From()))
	if d.to != nil {
		r.AppendHeader(sip.HeaderClone(d.to))
	} else {
		r.AppendHeader(sip.HeaderClone(inv.To()))
	}
	r.AppendHeader(sip.HeaderClone(inv.CallID()))
	r.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: method})
	maxFwd := sip.MaxForwardsHeader(70)
	r.AppendHeader(&maxFwd)
	for _, h := range d.routes {
		r.AppendHeader(sip.HeaderClone(h))
	}
	r.SetTransport(inv.Transport())
	if len(d.routes) > 0 {
		if rt := r.Route(); rt != nil {
			r.SetDestination(rt.Address.HostPort())
		}
	}
	c.agent.withLocalAddr(r)
	return r
}

// uacBye sends BYE on an answered outgoing call and waits for its response.
func (c *Call) uacBye(ctx context.Context) error {
	c.mu.Lock()
	d := c.uac
	if d == nil {
		c.mu.Unlock()
		return fmt.Errorf("bye: %w: no dialog", ErrCallState)
	}
	d.cseq++
	bye := c.inDialog(d, sip.BYE, d.cseq)
	c.mu.Unlock()
	res, err := c.agent.do(ctx, bye)
	if err != nil {
		return err
	}
	if !res.IsSuccess() && res.StatusCode != 481 {
		return &StatusError{Method: "BYE", Code: res.StatusCode, Reason: res.Reason}
	}
	return nil
}

// do sends a request and waits for its final response. It guards against
// sipgo v1.7.3's Client.Do returning (nil, nil) when the transaction is
// terminated (e.g. by Close) before its error is set.
func (a *Agent) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	if err := a.prepare(ctx, req); err != nil {
		return nil, err
	}
	res, err := a.client.Do(ctx, req)
	if err == nil && res == nil {
		err = sip.ErrTransactionTerminated
	}
	return res, err
}

// doDigest answers a 401/407 challenge to req and waits for the final
// response (same nil guard as do).
func (a *Agent) doDigest(ctx context.Context, req *sip.Request, res *sip.Response, auth sipgo.DigestAuth) (*sip.Response, error) {
	res, err := a.client.DoDigestAuth(ctx, req, res, auth)
	if err == nil && res == nil {
		err = sip.ErrTransactionTerminated
	}
	return res, err
}
