package testua

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Send sends m (a *sip.Request or *sip.Response, as built or modified by
// the test) to the PBX, once, with no new transaction: what comes back is
// recorded (see Await), and still reaches the ClientTx of a request Send
// repeats (a retransmission by hand). An ACK sent for a 2xx is re-sent when
// that 2xx is retransmitted (AutoReAck).
func (u *UA) Send(m sip.Message) error { return u.SendTo(m, netip.AddrPort{}) }

// SendTo is Send to another address (UDP; over TCP everything goes on the
// one connection). The zero address means the PBX.
func (u *UA) SendTo(m sip.Message, to netip.AddrPort) error {
	b := []byte(m.String())
	if req, ok := m.(*sip.Request); ok && req.Method == sip.ACK {
		u.mu.Lock()
		u.acks[ackKey(req)] = b
		u.mu.Unlock()
	}
	return u.write(b, m, to)
}

// SendRaw sends b byte for byte to the PBX (a fixture, a malformed
// message); nothing is parsed or added.
func (u *UA) SendRaw(b []byte) error { return u.write(b, nil, netip.AddrPort{}) }

// SendRawTo is SendRaw to another address (UDP only, see SendTo).
func (u *UA) SendRawTo(b []byte, to netip.AddrPort) error { return u.write(b, nil, to) }

// ackKey identifies the 2xx an ACK acknowledges: Call-ID, CSeq number,
// From and To tags.
func ackKey(m sip.Message) string {
	var n uint32
	if cs := m.CSeq(); cs != nil {
		n = cs.SeqNo
	}
	var ft, tt string
	if f := m.From(); f != nil {
		ft, _ = f.Params.Get("tag")
	}
	if t := m.To(); t != nil {
		tt, _ = t.Params.Get("tag")
	}
	return callIDOf(m) + "|" + strconv.FormatUint(uint64(n), 10) + "|" + ft + "|" + tt
}

// ClientTx is a request the UA sent as a client transaction (Start,
// StartRaw): its responses are collected, a non-2xx final response to an
// INVITE is ACKed (AutoAckError) and, with WithRetransmit, the request is
// retransmitted over UDP until a response stops it.
type ClientTx struct {
	ua   *UA
	req  *sip.Request
	wire []byte
	key  string
	dlg  *Dialog // the dialog the request belongs to, if sent by Dialog.Start
	stop chan struct{}

	// guarded by ua.mu
	responses []*Record
	stopped   bool
	dialogs   map[string]*Dialog // by remote (To) tag
}

func txKey(branch string, method sip.RequestMethod) string { return branch + "|" + string(method) }

// Start sends req as a client transaction. req needs a Via with a branch,
// From, To, Call-ID and CSeq (NewRequest and Dialog.NewRequest make them).
func (u *UA) Start(req *sip.Request) (*ClientTx, error) {
	return u.start([]byte(req.String()), req, nil)
}

// StartRaw sends wire byte for byte as a client transaction (a rendered
// fixture); it must parse as a request. Retransmissions resend the same
// bytes.
func (u *UA) StartRaw(wire []byte) (*ClientTx, error) {
	m, err := sip.ParseMessage(wire)
	if err != nil {
		return nil, fmt.Errorf("start raw request: %w: %w", ErrNotRequest, err)
	}
	req, ok := m.(*sip.Request)
	if !ok {
		return nil, fmt.Errorf("start raw request: %w: a response", ErrNotRequest)
	}
	return u.start(wire, req, nil)
}

// Do is Start then Final.
func (u *UA) Do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	tx, err := u.Start(req)
	if err != nil {
		return nil, err
	}
	return tx.Final(ctx)
}

func (u *UA) start(wire []byte, req *sip.Request, dlg *Dialog) (*ClientTx, error) {
	cs := req.CSeq()
	if branchOf(req) == "" || cs == nil || req.CallID() == nil || req.From() == nil || req.To() == nil {
		return nil, fmt.Errorf("start %s: %w: request needs Via branch, From, To, Call-ID and CSeq", req.Method, ErrUsage)
	}
	if req.Method == sip.ACK {
		return nil, fmt.Errorf("start ACK: %w: an ACK is no transaction, use Send", ErrUsage)
	}
	tx := &ClientTx{ua: u, req: req, wire: wire, key: txKey(branchOf(req), cs.MethodName), dlg: dlg,
		stop: make(chan struct{}), dialogs: map[string]*Dialog{}}
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return nil, fmt.Errorf("start %s: %w", req.Method, ErrClosed)
	}
	u.txs[tx.key] = tx
	u.mu.Unlock()
	if err := u.write(wire, req, netip.AddrPort{}); err != nil {
		return nil, fmt.Errorf("start %s: %w", req.Method, err)
	}
	if u.retrans && u.transport == "udp" {
		u.mu.Lock()
		if !u.closed { // Close waits for the goroutines started before it
			u.wg.Go(tx.retransmit)
		}
		u.mu.Unlock()
	}
	return tx, nil
}

// retransmit is timer A (INVITE: doubling from T1) or E (non-INVITE:
// doubling up to T2, T2 once a provisional came), until a response stops
// it or timer B/F fires at 64*T1 (RFC 3261 §17.1.1.2, §17.1.2.2).
func (tx *ClientTx) retransmit() {
	u := tx.ua
	invite := tx.req.Method == sip.INVITE
	giveUp := time.NewTimer(64 * u.t1)
	defer giveUp.Stop()
	interval := u.t1
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-tx.stop:
			return
		case <-giveUp.C:
			return
		case <-u.done:
			return
		}
		if err := u.write(tx.wire, tx.req, netip.AddrPort{}); err != nil {
			return
		}
		interval *= 2
		if !invite {
			u.mu.Lock()
			provisional := len(tx.responses) > 0
			u.mu.Unlock()
			if provisional || interval > u.t2 {
				interval = u.t2
			}
		}
		t.Reset(interval)
	}
}

// stopLocked ends retransmission. Call with ua.mu held.
func (tx *ClientTx) stopLocked() {
	if !tx.stopped {
		tx.stopped = true
		close(tx.stop)
	}
}

// onResponse acts on a response (ACKs of AutoAckError and AutoReAck),
// then files it and gives it to its transaction: a test that sees the
// response sees what the UA sent for it.
func (u *UA) onResponse(rec *Record, res *sip.Response) {
	cs := res.CSeq()
	var ack []byte
	var tx *ClientTx
	u.mu.Lock()
	if cs != nil {
		tx = u.txs[txKey(branchOf(res), cs.MethodName)]
	}
	auto := u.auto
	if cs != nil && cs.MethodName == sip.INVITE && res.StatusCode >= 200 && res.StatusCode < 300 && auto&AutoReAck != 0 {
		ack = u.acks[ackKey(res)]
	}
	u.mu.Unlock()
	if ack != nil {
		_ = u.write(ack, nil, netip.AddrPort{})
	}
	if tx != nil && tx.req.Method == sip.INVITE && res.StatusCode >= 300 && auto&AutoAckError != 0 {
		_ = u.write([]byte(NonSuccessAck(tx.req, res).String()), nil, netip.AddrPort{})
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if tx != nil {
		tx.responses = append(tx.responses, rec)
		if tx.req.Method == sip.INVITE || res.StatusCode >= 200 {
			tx.stopLocked()
		}
		if res.StatusCode >= 200 && res.StatusCode < 300 && tx.dlg != nil {
			tx.dlg.refreshLocked(res)
		}
	}
	u.fileLocked(rec)
}

// NonSuccessAck is the ACK of a non-2xx final response, part of the
// INVITE's transaction (RFC 3261 §17.1.1.3): same Request-URI, top Via and
// Route, To from the response.
func NonSuccessAck(inv *sip.Request, res *sip.Response) *sip.Request {
	ack := sip.NewRequest(sip.ACK, *inv.Recipient.Clone())
	ack.AppendHeader(inv.Via().Clone())
	for _, h := range inv.GetHeaders("Route") {
		ack.AppendHeader(sip.HeaderClone(h))
	}
	mf := sip.MaxForwardsHeader(70)
	ack.AppendHeader(&mf)
	ack.AppendHeader(sip.HeaderClone(inv.From()))
	if to := res.To(); to != nil {
		ack.AppendHeader(sip.HeaderClone(to))
	} else {
		ack.AppendHeader(sip.HeaderClone(inv.To()))
	}
	ack.AppendHeader(sip.HeaderClone(inv.CallID()))
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.ACK})
	ack.SetBody(nil)
	return ack
}

// Request is the request as sent.
func (tx *ClientTx) Request() *sip.Request { return tx.req }

// Responses lists every response received for the transaction so far,
// retransmissions included, in arrival order.
func (tx *ClientTx) Responses() []*Record {
	tx.ua.mu.Lock()
	defer tx.ua.mu.Unlock()
	return append([]*Record(nil), tx.responses...)
}

// Provisional lists the 1xx responses received so far.
func (tx *ClientTx) Provisional() []*sip.Response {
	var out []*sip.Response
	for _, r := range tx.Responses() {
		if res := r.Response(); res.StatusCode < 200 {
			out = append(out, res)
		}
	}
	return out
}

// Next returns the transaction's next response no wait has returned yet
// (provisional or final, retransmissions included), and takes it.
func (tx *ClientTx) Next(ctx context.Context) (*Record, error) {
	return waitFor(ctx, tx.ua, "await response to "+string(tx.req.Method), func() (*Record, bool) {
		for _, r := range tx.responses {
			if !r.taken {
				r.taken = true
				return r, true
			}
		}
		return nil, false
	})
}

// Final waits for the first final response and returns it (again on later
// calls); it and the responses before it are taken.
func (tx *ClientTx) Final(ctx context.Context) (*sip.Response, error) {
	return waitFor(ctx, tx.ua, "await final response to "+string(tx.req.Method), func() (*sip.Response, bool) {
		for i, r := range tx.responses {
			if res := r.Response(); res.StatusCode >= 200 {
				for _, p := range tx.responses[:i+1] {
					p.taken = true
				}
				return res, true
			}
		}
		return nil, false
	})
}

// Dialog is the dialog the first 2xx created (RFC 3261 §12.1.2), or the
// dialog the request was sent in (Dialog.Start); nil before a 2xx.
func (tx *ClientTx) Dialog() *Dialog {
	if tx.dlg != nil {
		return tx.dlg
	}
	for _, r := range tx.Responses() {
		if res := r.Response(); res.StatusCode >= 200 && res.StatusCode < 300 {
			return tx.DialogFor(res)
		}
	}
	return nil
}

// DialogFor is the (early or confirmed) dialog of res, a 1xx with a To
// tag or a 2xx to this INVITE: one per remote tag, so a forked INVITE has
// several. Nil if res has no To tag.
func (tx *ClientTx) DialogFor(res *sip.Response) *Dialog {
	tag := ""
	if to := res.To(); to != nil {
		tag, _ = to.Params.Get("tag")
	}
	if tag == "" {
		return nil
	}
	tx.ua.mu.Lock()
	defer tx.ua.mu.Unlock()
	if d := tx.dialogs[tag]; d != nil {
		return d
	}
	d := uacDialog(tx.ua, tx.req, res)
	tx.dialogs[tag] = d
	return d
}

// Ack sends the ACK of the transaction's first 2xx (a new transaction in
// the dialog, RFC 3261 §13.2.2.4) with body (nil: none; the answer to an
// offer made in a 2xx otherwise) and returns it.
func (tx *ClientTx) Ack(body []byte) (*sip.Request, error) {
	d := tx.Dialog()
	if d == nil || tx.req.Method != sip.INVITE {
		return nil, fmt.Errorf("ack %s: %w: no 2xx to an INVITE", tx.req.Method, ErrUsage)
	}
	ack := d.NewAck(tx.req.CSeq().SeqNo, body)
	if err := tx.ua.Send(ack); err != nil {
		return nil, fmt.Errorf("ack: %w", err)
	}
	return ack, nil
}

// Cancel sends a CANCEL for this INVITE (RFC 3261 §9.1: same Request-URI,
// top Via, Call-ID, From, To, Route and CSeq number) as a client
// transaction of its own.
func (tx *ClientTx) Cancel() (*ClientTx, error) {
	inv := tx.req
	if inv.Method != sip.INVITE {
		return nil, fmt.Errorf("cancel %s: %w: only an INVITE is cancelled", inv.Method, ErrUsage)
	}
	c := sip.NewRequest(sip.CANCEL, *inv.Recipient.Clone())
	c.AppendHeader(inv.Via().Clone())
	for _, h := range inv.GetHeaders("Route") {
		c.AppendHeader(sip.HeaderClone(h))
	}
	mf := sip.MaxForwardsHeader(70)
	c.AppendHeader(&mf)
	c.AppendHeader(sip.HeaderClone(inv.From()))
	c.AppendHeader(sip.HeaderClone(inv.To()))
	c.AppendHeader(sip.HeaderClone(inv.CallID()))
	c.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.CANCEL})
	c.SetBody(nil)
	return tx.ua.Start(c)
}
