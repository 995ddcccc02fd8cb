package call

import (
	"context"
	"errors"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sdpneg"
	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/internal/sipx"
)

// HandleInvite processes an INVITE. With a To tag it is a re-INVITE in an
// existing dialog; otherwise it starts a call: authenticate, analyse the
// number, locate the subscriber and fork to every contact in parallel
// (RFC 3261 §16.6-16.7 rules for choosing the response, applied by a UA).
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
	caller, err := m.deps.Authenticate(ctx, req)
	if err != nil {
		return err
	}
	dialled := dialledNumber(req)
	_ = tx.Respond(sip.NewResponseFromRequest(req, 100, "Trying", nil))

	rec := cdr.Record{CallID: req.CallID().Value(), Caller: caller, Dialled: dialled, Setup: m.clock.Now()}
	sub, ok := m.deps.Analyse(dialled)
	if !ok {
		return m.reject(req, tx, rec, sipx.ErrNotFound, cdr.Failed)
	}
	rec.Callee = sub.Number
	targets, err := m.deps.Locate(ctx, sub.Number)
	if err != nil {
		return m.reject(req, tx, rec, err, cdr.Failed)
	}
	if len(targets) == 0 {
		return m.reject(req, tx, rec, sipx.ErrUnavailable, cdr.Failed)
	}
	if sub.Redirect == 301 || sub.Redirect == 302 {
		return m.redirect(req, tx, rec, sub.Redirect, targets)
	}
	if len(req.Body()) > 0 {
		if err := sdpneg.Acceptable(req.Body(), sdpneg.DefaultCodecs()); err != nil {
			return m.reject(req, tx, rec, &sipx.StatusError{Code: 488, Reason: "Not Acceptable Here", Err: err}, cdr.Failed)
		}
	}
	return m.startCall(req, tx, rec, targets)
}

// dialledNumber is the Request-URI user part with a trailing '#' (escaped
// or not) removed.
func dialledNumber(req *sip.Request) string {
	u := req.Recipient.User
	u = strings.TrimSuffix(strings.TrimSuffix(u, "%23"), "#")
	return u
}

// reject answers the INVITE with err's status and records the attempt.
func (m *Manager) reject(req *sip.Request, tx sipx.Tx, rec cdr.Record, err error, disp cdr.Disposition) error {
	code, reason, _ := sipx.StatusOf(err)
	res := sipx.ErrorResponse(req, err)
	rerr := tx.Respond(res)
	rec.End = m.clock.Now()
	rec.Disposition = disp
	rec.Cause = code
	rec.Reason = reason
	m.writeCDR(rec)
	if rerr != nil {
		return rerr
	}
	return nil
}

func (m *Manager) writeCDR(rec cdr.Record) {
	ctx, cancel := context.WithTimeout(context.Background(), m.timers.T2*4)
	defer cancel()
	id, err := m.deps.CDR.Begin(ctx, rec)
	if err == nil {
		err = m.deps.CDR.Finish(ctx, id, rec)
	}
	if err != nil {
		m.log.Error("write CDR", "call_id", rec.CallID, "error", err)
	}
}

// startCall builds the caller's leg and one fork per target.
func (m *Manager) startCall(req *sip.Request, tx sipx.Tx, rec cdr.Record, targets []Target) error {
	local, ok := m.localFor(req.Transport(), req.Source())
	if !ok {
		return sipx.ErrUnavailable
	}
	a := &leg{
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
		contactUser: rec.Dialled,
	}
	if uri, ok := contactOf(req); ok {
		a.remoteTarget = uri
	} else {
		a.remoteTarget = *req.From().Address.Clone()
	}
	c := &Call{m: m, a: a, aInvite: req, aTx: tx, acked: make(chan struct{}), ended: make(chan struct{}), answered: make(chan struct{}),
		lateOffer: len(req.Body()) == 0, rec: rec}
	c.ctx, c.cancel = context.WithCancel(m.base)
	m.track(c)
	id, err := m.deps.CDR.Begin(c.ctx, rec)
	if err != nil {
		m.log.Error("begin CDR", "call_id", rec.CallID, "error", err)
	}
	c.cdrID = id
	m.addDialog(a, c, sideA)
	if !tx.OnCancel(func(*sip.Request) { go c.onCallerCancel() }) {
		// the CANCEL beat us: the transaction layer already sent 487
		c.finish(cdr.Cancelled, 487, "caller cancelled")
		return nil
	}

	c.mu.Lock()
	for _, t := range targets {
		f, err := c.newFork(t)
		if err != nil {
			m.log.Warn("fork", "target", t.URI.String(), "error", err)
			continue
		}
		c.forks = append(c.forks, f)
	}
	forks := append([]*fork(nil), c.forks...)
	c.noAnswer = m.clock.AfterFunc(m.timers.NoAnswer, c.onNoAnswer)
	c.mu.Unlock()
	if len(forks) == 0 {
		c.respondCaller(480, "Temporarily Unavailable", nil)
		c.finish(cdr.Failed, 480, "no reachable contact")
		return nil
	}
	for _, f := range forks {
		m.addDialog(f.leg, c, sideB)
		go f.run()
	}
	// Keep the handler (and with it sipgo's server transaction) alive until
	// the caller has a final response: 2xx, the best failure, 480 on no
	// answer, or the 487 the transaction layer sends on CANCEL.
	select {
	case <-c.answered:
	case <-c.ended:
	}
	return nil
}

// localFor picks the socket that faces a peer at addr over transport.
func (m *Manager) localFor(transport, addr string) (sipx.Local, bool) {
	ap, _ := netip.ParseAddrPort(addr)
	return m.deps.Local(strings.ToLower(transport), ap)
}

// respondCaller sends a response to the caller's INVITE with our To tag and
// Contact. It is a no-op once a final response went out.
func (c *Call) respondCaller(code int, reason string, body []byte) *sip.Response {
	res := sip.NewResponseFromRequest(c.aInvite, code, reason, body)
	if code > 100 {
		res.To().Params.Add("tag", c.a.localTag)
		if code < 300 {
			res.AppendHeader(c.a.via.Contact(c.a.contactUser))
		}
	}
	if len(body) > 0 {
		ct := sip.ContentTypeHeader("application/sdp")
		res.AppendHeader(&ct)
	}
	if err := c.aTx.Respond(res); err != nil && !errors.Is(err, context.Canceled) {
		c.m.log.Debug("respond to caller", "call_id", c.a.callID, "status", code, "error", err)
	}
	if code >= 200 {
		c.markAnswered()
	}
	return res
}
