package phone

import (
	"context"
	"fmt"
	"strconv"

	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/rel100"
	"pbxlab/internal/sdpneg"
)

// Rel100 is how a phone uses reliable provisional responses (RFC 3262,
// option tag 100rel).
type Rel100 uint8

const (
	// Rel100Off: no 100rel: the phone's INVITEs say nothing of it, and it
	// sends its provisional responses unreliably.
	Rel100Off Rel100 = iota
	// Rel100Supported: the phone's INVITEs carry Supported: 100rel; as the
	// called phone it sends its 18x reliably (Require: 100rel, RSeq, sent
	// again from T1 doubling until the PRACK) when the INVITE supports or
	// requires 100rel, and answers only once the PRACK came.
	Rel100Supported
	// Rel100Required: as Rel100Supported, but the INVITEs carry
	// Require: 100rel.
	Rel100Required
)

// prackT1 is the base of a reliable provisional's retransmissions (RFC
// 3262 §3: T1 doubling), 64 of it the wait for its PRACK.
const prackT1 = 500 * time.Millisecond

// relState is a call's 100rel state, both directions (mu of the Call
// guards it).
type relState struct {
	// outgoing: the RSeq of the last reliable provisional taken per early
	// dialog (To tag), and the CSeq of our last PRACK
	last    map[string]uint32
	lastRes *sip.Response // the last reliable provisional taken
	cseq    uint32
	sent    int   // PRACKs sent
	okd     int   // PRACKs sent and answered 2xx
	codes   []int // provisional responses received reliably
	// incoming: the reliable provisional waiting for its PRACK
	rseq    uint32
	pending chan struct{} // closed by its PRACK
	pracked int           // PRACKs that acknowledged ours
}

// SetRel100 changes the phone's use of 100rel for the calls it starts or
// receives from now on.
func (p *Phone) SetRel100(m Rel100) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cfg.Rel100 = m
}

func (p *Phone) rel100() Rel100 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg.Rel100
}

// rel100Header is the header the phone's INVITEs carry, nil for none.
func (m Rel100) header() sip.Header {
	switch m {
	case Rel100Supported:
		return sip.NewHeader("Supported", rel100.Tag)
	case Rel100Required:
		return sip.NewHeader("Require", rel100.Tag)
	}
	return nil
}

// ReliableProvisional lists the provisional responses this outgoing call
// received reliably (Require: 100rel with an RSeq), each once.
func (c *Call) ReliableProvisional() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.rel.codes...)
}

// PRACKs is how many PRACKs the call sent (outgoing) or received for its
// own reliable provisional responses (incoming).
func (c *Call) PRACKs() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dir == Incoming {
		return c.rel.pracked
	}
	return c.rel.sent
}

// PRACKsAnswered is how many of the PRACKs this outgoing call sent have
// been answered 2xx (PRACKs counts them as they leave).
func (c *Call) PRACKsAnswered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rel.okd
}

// takeProvisional runs for each provisional response to our INVITE. A
// reliable one (RFC 3262 §4) is PRACKed in its early dialog the first time
// and reported false when it is a retransmission (or out of order), so it
// is not processed twice.
func (c *Call) takeProvisional(res *sip.Response) bool {
	rseq, ok := rel100.Reliable(res)
	if !ok {
		return true
	}
	tag := ""
	if to := res.To(); to != nil {
		tag, _ = to.Params.Get("tag")
	}
	c.mu.Lock()
	if c.rel.last == nil {
		c.rel.last = map[string]uint32{}
	}
	last, seen := c.rel.last[tag]
	if seen && rseq != last+1 {
		c.mu.Unlock()
		return false
	}
	c.rel.last[tag] = rseq
	if c.rel.cseq == 0 {
		c.rel.cseq = c.invite.CSeq().SeqNo
	}
	c.rel.cseq++
	c.rel.sent++
	c.rel.codes = append(c.rel.codes, res.StatusCode)
	c.rel.lastRes = res
	d := earlyDialog(c.invite, res)
	prack := c.inDialog(d, sip.PRACK, c.rel.cseq)
	c.mu.Unlock()
	prack.AppendHeader(sip.NewHeader("RAck", rel100.RAck{RSeq: rseq, CSeq: res.CSeq().SeqNo, Method: sip.INVITE}.String()))
	c.sendPrack(prack)
	return true
}

// earlyDialog is the dialog a provisional response with a To tag makes
// (RFC 3261 §12.1.2), for its PRACK.
func earlyDialog(req *sip.Request, res *sip.Response) *uacDialog {
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
	return d
}

// sendPrack sends a PRACK in the background.
func (c *Call) sendPrack(req *sip.Request) {
	a := c.agent
	a.background(func(ctx context.Context) {
		res, err := a.do(ctx, req)
		switch {
		case err != nil:
			a.log.Debug("prack failed", "call_id", c.callID, "error", err)
		case !res.IsSuccess():
			a.log.Info("prack refused", "call_id", c.callID, "status", res.StatusCode)
		default:
			c.mu.Lock()
			c.rel.okd++
			c.mu.Unlock()
		}
	})
}

// dialogCSeq is the CSeq number in-dialog requests continue from: past the
// PRACKs sent in the early dialog.
func (c *Call) dialogCSeq(n uint32) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return max(n, c.rel.cseq)
}

// reliable reports whether this incoming call sends its provisional
// responses reliably: the phone does 100rel and the INVITE supports or
// requires it.
func (c *Call) reliable() bool {
	inv := c.dss.InviteRequest
	return c.phone.rel100() != Rel100Off && (rel100.Has(inv, "Supported") || rel100.Has(inv, "Require"))
}

// respondProvisional sends a provisional response on an incoming call:
// reliably when the call does 100rel, then waiting for its PRACK
// (retransmitted at T1, 2T1, 4T1 ... for 64*T1, RFC 3262 §3). It returns
// false when the call ended meanwhile (it is then finished).
func (c *Call) respondProvisional(code int, reason string, body []byte, hdrs ...sip.Header) bool {
	if !c.reliable() {
		if err := c.dss.Respond(code, reason, body, hdrs...); err != nil {
			c.finish(End{By: Remote, Reason: ReasonError, Err: err})
			return false
		}
		return true
	}
	c.mu.Lock()
	if c.rel.rseq == 0 {
		c.rel.rseq = 1
	} else {
		c.rel.rseq++
	}
	rseq := c.rel.rseq
	pending := make(chan struct{})
	c.rel.pending = pending
	c.mu.Unlock()
	res := sip.NewResponseFromRequest(c.dss.InviteRequest, code, reason, body)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	res.AppendHeader(sip.NewHeader("Require", rel100.Tag))
	res.AppendHeader(sip.NewHeader("RSeq", strconv.FormatUint(uint64(rseq), 10)))
	ct := c.phone.contactHeader()
	res.AppendHeader(&ct)
	a := c.agent
	deadline := a.clock.Now().Add(64 * prackT1)
	for iv := prackT1; ; iv *= 2 {
		if err := c.dss.WriteResponse(res); err != nil {
			c.finish(End{By: Remote, Reason: ReasonError, Err: err})
			return false
		}
		wait := min(iv, deadline.Sub(a.clock.Now()))
		if wait <= 0 {
			c.respondFinal(500, "Reliable Provisional Not Acknowledged")
			return false
		}
		select {
		case <-pending:
			return true
		case <-a.clock.After(wait):
		case <-c.dss.Context().Done():
			c.finish(End{By: Remote, Reason: ReasonCancel, Code: 487})
			return false
		case <-a.ctx.Done():
			c.finish(End{By: Local, Reason: ReasonClosed})
			return false
		}
	}
}

// onPrack answers a PRACK (RFC 3262 §3): 200 when it acknowledges the
// reliable provisional response its call waits for, else 481.
func (a *Agent) onPrack(req *sip.Request, tx sip.ServerTransaction) {
	c := a.callFor(req)
	rack, err := rel100.RAckOf(req)
	if c == nil || err != nil || c.dss == nil {
		a.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	c.mu.Lock()
	ok := c.rel.pending != nil && rack.RSeq == c.rel.rseq && rack.Method == sip.INVITE &&
		rack.CSeq == c.dss.InviteRequest.CSeq().SeqNo
	if ok {
		close(c.rel.pending)
		c.rel.pending = nil
		c.rel.pracked++
	}
	c.mu.Unlock()
	if !ok {
		a.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if len(req.Body()) > 0 && c.media != nil {
		if s, err := sdpneg.Parse(req.Body()); err == nil {
			_ = c.media.apply(s)
		}
	}
	a.respond(tx, req, 200, "OK")
}

// SendPRACK sends, on an outgoing call, a PRACK in the early dialog of the
// last reliable provisional response it took, with the RAck edit makes of
// that response's (a probe: another RSeq, CSeq number or method), and
// returns its final response status.
func (c *Call) SendPRACK(ctx context.Context, edit func(*rel100.RAck)) (int, error) {
	c.mu.Lock()
	res := c.rel.lastRes
	if res == nil || c.dir != Outgoing {
		c.mu.Unlock()
		return 0, fmt.Errorf("prack: %w: no reliable provisional response", ErrCallState)
	}
	rseq, _ := rel100.RSeqOf(res)
	rack := rel100.RAck{RSeq: rseq, CSeq: res.CSeq().SeqNo, Method: res.CSeq().MethodName}
	if edit != nil {
		edit(&rack)
	}
	c.rel.cseq++
	req := c.inDialog(earlyDialog(c.invite, res), sip.PRACK, c.rel.cseq)
	c.mu.Unlock()
	req.AppendHeader(sip.NewHeader("RAck", rack.String()))
	ans, err := c.agent.do(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("prack: %w", err)
	}
	return ans.StatusCode, nil
}
