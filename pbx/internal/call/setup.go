package call

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sdpneg"
	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/internal/sipx"
)

// maxDecisions bounds how many decisions one call may go through (the
// first route plus what OnFailure returns: forwarding chains).
const maxDecisions = 8

// HandleInvite processes an INVITE. With a To tag it is a re-INVITE in an
// existing dialog; otherwise it starts a call: the guards, Policy.Classify
// (who calls), Policy.Route (where to), then the call applies the decision
// on its executor. The handler returns once the caller has a final
// response, because sipgo ends the server transaction when it returns.
func (m *Manager) HandleInvite(ctx context.Context, req *sip.Request, tx sipx.Tx) error {
	if tagOf(req.To().Params) != "" {
		return m.HandleInDialog(ctx, req, tx)
	}
	if m.draining.Load() {
		return sipx.ErrShuttingDown
	}
	if mf := req.MaxForwards(); mf != nil && mf.Val() == 0 {
		return sipx.ErrTooManyHops
	}
	if m.deps.Token.Seen(req) {
		return sipx.ErrLoop
	}
	caller, err := m.deps.Policy.Classify(ctx, req)
	if err != nil {
		return err
	}
	if err := m.checkSessionTimer(req, caller); err != nil {
		return err // 400 or 422 (RFC 4028 §9)
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, 100, "Trying", nil))
	dialled := dialledNumber(req)
	if caller.Called != "" {
		dialled = caller.Called // a trunk's DID (To) at the PBX's registered contact
	}
	d, err := m.deps.Policy.Route(ctx, Incoming{Caller: caller, Dialled: dialled, Request: req})
	if err != nil {
		d = Decision{Kind: Reject, Err: err}
	}
	c, err := m.newCall(ctx, req, tx, caller, dialled)
	if err != nil {
		return err
	}
	if !tx.OnCancel(func(cancel *sip.Request) { c.ex.post(func() { c.onCallerCancel(cancel) }) }) {
		c.ex.post(func() { c.onCallerCancel(nil) }) // the CANCEL beat us: sipgo already sent 487
	}
	c.ex.post(func() { c.start(d) })
	select {
	case <-c.finalSent:
	case <-c.ended:
	}
	return nil
}

// dialledNumber is the Request-URI user part with a trailing '#' (escaped
// or not) removed.
func dialledNumber(req *sip.Request) string {
	u := req.Recipient.User
	return strings.TrimSuffix(strings.TrimSuffix(u, "%23"), "#")
}

// newCall builds the call of a new INVITE: the caller's leg, the bridge
// with its media seam, and the CDR row.
func (m *Manager) newCall(ctx context.Context, req *sip.Request, tx sipx.Tx, caller Caller, dialled string) (*Call, error) {
	ap, _ := netip.ParseAddrPort(req.Source())
	local, ok := m.deps.Local(strings.ToLower(req.Transport()), ap)
	if !ok {
		return nil, sipx.ErrUnavailable
	}
	a := &Leg{
		id:          "a",
		role:        UAS,
		callID:      req.CallID().Value(),
		localTag:    sipx.NewTag(),
		remoteTag:   tagOf(req.From().Params),
		local:       *req.To().Address.Clone(),
		localName:   req.To().DisplayName,
		remote:      *req.From().Address.Clone(),
		remoteName:  req.From().DisplayName,
		remoteSeq:   req.CSeq().SeqNo,
		routeSet:    routeSetFrom(req, false),
		dest:        req.Source(),
		via:         local,
		contactUser: dialled,
	}
	if uri, ok := contactOf(req); ok {
		a.remoteTarget = uri
	} else {
		a.remoteTarget = *req.From().Address.Clone()
	}
	c, err := m.open(a.callID)
	if err != nil {
		return nil, err
	}
	c.caller, c.a = caller, a
	a.st = newLegTimer(m.timerFor(caller.SessionTimer))
	c.addLeg(a)
	a.event(EvInvite)
	c.aInv = newServerInvite(a, req, tx)
	a.inv = c.aInv
	if hasSDP(req) {
		c.offer = req.Body()
	}
	c.lateOffer = len(req.Body()) == 0
	c.bridge = c.newBridge(a)
	c.rec = cdr.Record{CallID: c.id, Caller: caller.Number, Dialled: dialled, Setup: m.clock.Now()}
	id, err := m.deps.CDR.Begin(ctx, c.rec)
	if err != nil {
		c.log.Error("begin CDR", "error", err)
	}
	c.cdrID = id
	c.log.Debug("call", "caller", caller.Number, "dialled", dialled)
	return c, nil
}

// start applies the first routing decision.
func (c *Call) start(d Decision) {
	if c.phase != phaseRinging {
		return // cancelled before it started
	}
	if d.Kind != Reject && d.Kind != Redirect && len(c.offer) > 0 {
		if err := sdpneg.Acceptable(c.offer, sdpneg.DefaultCodecs()); err != nil {
			c.failWith(&sipx.StatusError{Code: 488, Reason: "Not Acceptable Here", Err: err})
			return
		}
	}
	c.apply(d)
}

// apply carries out a decision: ring its targets, redirect, reject, or
// hand the call to a service.
func (c *Call) apply(d Decision) {
	c.nDecisions++
	if c.nDecisions > maxDecisions {
		c.failWith(&sipx.StatusError{Code: 483, Reason: "Too Many Hops", Err: fmt.Errorf("%d decisions: %w", c.nDecisions, sipx.ErrTooManyHops)})
		return
	}
	if d.Callee != "" {
		c.rec.Callee = d.Callee
	}
	if d.Calling != "" {
		c.presented = d.Calling
	}
	switch d.Kind {
	case Reject:
		c.failWith(d.Err)
	case Redirect:
		c.redirect(d)
	case ToService:
		if d.Service == nil {
			c.failWith(fmt.Errorf("decision without service: %w", sipx.ErrNotImplemented))
			return
		}
		d.Service(c)
	default:
		c.Fork(d)
	}
}

// redirect answers as the manual's redirect server: 301 or 302 whose
// Contacts are the targets' registered locations.
func (c *Call) redirect(d Decision) {
	reason := "Moved Temporarily"
	if d.Code == 301 {
		reason = "Moved Permanently"
	}
	res := c.inviteResponse(c.aInv, d.Code, reason, nil)
	for _, t := range d.Targets {
		u := t.Contact
		if u.Host == "" {
			u = t.URI
		}
		res.AppendHeader(&sip.ContactHeader{Address: *u.Clone(), Params: sip.NewParams()})
	}
	c.respondInvite(c.aInv, res, nil)
	c.finish(cdr.Redirected, d.Code, reason)
}

// failWith answers the caller with err's status (sipx.StatusOf, the one
// error→response map) and records the attempt.
func (c *Call) failWith(err error) {
	code, reason, hdrs := sipx.StatusOf(err)
	res := c.inviteResponse(c.aInv, code, reason, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	c.log.Debug("call refused", "status", code, "error", err)
	c.respondInvite(c.aInv, res, nil)
	c.finish(dispositionFor(code), code, reason)
}

// failCaller relays a final failure to the caller with the headers that
// matter (relay.go) and records the attempt.
func (c *Call) failCaller(best *sip.Response, disp cdr.Disposition, why string) {
	res := c.inviteResponse(c.aInv, best.StatusCode, best.Reason, nil)
	copyRelayed(best, res)
	c.respondInvite(c.aInv, res, nil)
	if why == "" {
		why = best.Reason
	}
	c.finish(disp, best.StatusCode, why)
}

// onCallerCancel runs when the caller CANCELs: sipgo has answered the
// CANCEL with 200 and the INVITE with 487; every branch is cancelled with
// the caller's Reason (RFC 3326) and the attempt recorded.
func (c *Call) onCallerCancel(req *sip.Request) {
	if c.phase != phaseRinging {
		return
	}
	var reasons []sip.Header
	if req != nil {
		reasons = reasonHeaders(req)
	}
	for _, b := range c.branches {
		c.cancelBranch(b, reasons)
	}
	c.a.event(EvReject)
	c.finish(cdr.Cancelled, 487, "caller cancelled")
}

// stopRinging ends a call that is still ringing: CANCEL every branch,
// answer the caller with code, record disp.
func (c *Call) stopRinging(code int, reason string, disp cdr.Disposition, why string) {
	if c.phase != phaseRinging {
		return
	}
	for _, b := range c.branches {
		c.cancelBranch(b, nil)
	}
	if c.aInv != nil { // a placed call has no caller to answer (place.go)
		c.respondInvite(c.aInv, c.inviteResponse(c.aInv, code, reason, nil), nil)
		c.a.event(EvReject)
	}
	c.finish(disp, code, why)
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
