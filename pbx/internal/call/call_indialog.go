package call

import (
	"context"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/sipx"
)

// HandleInDialog relays a mid-dialog request (re-INVITE, UPDATE, INFO) to
// the other leg and its final response back (RFC 3261 §14, RFC 3311).
// The PBX ACKs a relayed re-INVITE's 2xx itself and absorbs the sender's
// ACK, so each leg's offer/answer completes within its own dialog.
func (m *Manager) HandleInDialog(ctx context.Context, req *sip.Request, tx sipx.Tx) error {
	d, ok := m.lookup(req)
	if !ok {
		return sipx.ErrNoDialog
	}
	c := d.call
	c.mu.Lock()
	st := c.state
	c.mu.Unlock()
	if st != stateConfirmed {
		return sipx.ErrNoDialog
	}
	if d.side == sideA {
		c.waitAcked(m.timers.AckWait)
	}
	other := sideB
	if d.side == sideB {
		other = sideA
	}
	l := c.legOf(other)
	if l == nil {
		return sipx.ErrNoDialog
	}
	out := l.request(m.deps.Token, req.Method, l.nextSeq(), req.Body(), contentType(req))
	rctx, cancel := context.WithTimeout(ctx, 64*m.timers.T1+time.Second)
	defer cancel()
	res, err := m.do(rctx, out)
	if err != nil {
		return &sipx.StatusError{Code: 408, Reason: "Request Timeout", Err: err}
	}
	if req.Method == sip.INVITE && res.IsSuccess() {
		ack := l.request(m.deps.Token, sip.ACK, out.CSeq().SeqNo, nil, "")
		if err := m.deps.Sender.Write(ack); err != nil {
			m.log.Warn("ACK re-INVITE", "error", err)
		}
	}
	back := sip.NewResponseFromRequest(req, res.StatusCode, res.Reason, res.Body())
	if res.StatusCode < 300 && (req.Method == sip.INVITE || req.Method == sip.UPDATE) {
		self := c.legOf(d.side)
		back.AppendHeader(self.via.Contact(self.contactUser))
	}
	if len(res.Body()) > 0 {
		back.AppendHeader(sip.NewHeader("Content-Type", contentType(res)))
	}
	return tx.Respond(back)
}
