package call

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
	"pbxlab/internal/rel100"
	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/internal/sipx"
)

// Reliable provisional responses (RFC 3262, option tag 100rel), per leg and
// independently on each:
//
// The caller's leg (the PBX is the UAS, this file). A caller that sent
// Require: 100rel gets every provisional response but 100 reliably (RFC
// 3262 §3: "MUST"); one that sent only Supported: 100rel gets the
// provisional responses that carry SDP (early media) reliably and the
// others (180 without SDP) as usual — the SDP is what must not be lost, and
// a plain 180 interoperates with every phone. A reliable provisional carries
// Require: 100rel and an RSeq (the first random in 1..2**31-1, then one
// more each time, §3) and is retransmitted from T1 doubling until its PRACK
// (over UDP; a reliable transport only waits); no second reliable
// provisional goes out before the PRACK of the first (later provisionals
// wait in order). The PRACK gets 200; one whose RAck names no
// unacknowledged reliable provisional (another RSeq, another CSeq number or
// method) gets 481 (§3); a PRACK may carry the answer to an offer the
// provisional carried (a caller without offer, §5). A 2xx waits for the
// PRACK of a reliable provisional that carried SDP (§3: the UAS MUST NOT
// send it before); any other final response goes at once and ends the
// retransmissions. A reliable provisional not PRACKed for 64*T1 ends the
// INVITE with 500 (§3: "SHOULD reject the original request with a 5xx") and
// the call with it.
//
// The callee legs (the PBX is the UAC, prack_uac.go).

// uasRel is the 100rel state of the caller's INVITE transaction.
type uasRel struct {
	rseq    uint32     // RSeq of the last reliable provisional sent
	pending *relOut    // the reliable provisional waiting for its PRACK
	queue   []*heldRes // responses waiting for that PRACK
}

// relOut is a reliable provisional response the PBX sent to the caller.
type relOut struct {
	res      *sip.Response
	rseq     uint32
	sdp      bool // carried SDP: a 2xx waits for its PRACK
	timer    clock.Timer
	interval time.Duration
	deadline time.Time
	// onPrack takes the SDP of the PRACK (nil when it has none): the
	// answer to an offer the provisional carried (RFC 3262 §5).
	onPrack func(sdp []byte)
}

// heldRes is a response to the caller's INVITE held until a PRACK.
type heldRes struct {
	res   *sip.Response
	onAck func(*sip.Request)
}

// prackState is the call's 100rel state: the caller's leg, and per callee
// leg the RSeq of the last reliable provisional taken (prack_uac.go).
type prackState struct {
	uas uasRel
	uac map[*Leg]*uacRel
	// answers are the callbacks of provisionals to the caller whose PRACK
	// carries the answer to their offer (set before they are sent).
	answers map[*sip.Response]func(sdp []byte)
	// upd is the early-UPDATE state per leg (update_early.go).
	upd map[*Leg]*earlyUpdate
}

// callerRel reports whether the caller supports 100rel and whether it
// requires it.
func (c *Call) callerRel() (supported, required bool) {
	req := c.aInv.req
	required = rel100.Has(req, "Require")
	return required || rel100.Has(req, "Supported"), required
}

// wantsReliable reports whether a provisional response to the caller goes
// reliably (the rule above).
func (c *Call) wantsReliable(res *sip.Response) bool {
	if res.StatusCode <= 100 || res.StatusCode >= 200 {
		return false
	}
	supported, required := c.callerRel()
	return required || (supported && len(res.Body()) > 0)
}

// rel100Respond is respondInvite's 100rel step for the caller's INVITE: it
// sends res reliably, holds it until a PRACK, or lets it go as usual
// (false). onAck belongs to a 2xx.
func (c *Call) rel100Respond(res *sip.Response, onAck func(*sip.Request)) bool {
	u := &c.rel.uas
	switch {
	case res.StatusCode == 100:
		return false
	case res.StatusCode < 200:
		supported, required := c.callerRel()
		if !supported || !c.wantsReliable(res) {
			return false
		}
		if u.pending != nil || required && len(u.queue) > 0 {
			u.queue = append(u.queue, &heldRes{res: res}) // §3: one reliable provisional at a time
			return true
		}
		c.sendReliable(res)
		return true
	case res.StatusCode < 300 && u.pending != nil && u.pending.sdp:
		// §3: no 2xx before the PRACK of a provisional with SDP
		c.log.Debug("2xx waits for PRACK", "rseq", u.pending.rseq)
		u.queue = []*heldRes{{res: res, onAck: onAck}}
		return true
	default:
		// a final response ends the transaction's reliable provisionals
		c.stopReliable()
		return false
	}
}

// sendReliable sends a provisional response reliably (RFC 3262 §3).
func (c *Call) sendReliable(res *sip.Response) {
	u := &c.rel.uas
	if u.rseq == 0 {
		u.rseq = 1 + rand.Uint32N(1<<30) // room to count up below 2**31
	} else {
		u.rseq++
	}
	res.AppendHeader(sip.NewHeader("Require", rel100.Tag))
	res.AppendHeader(sip.NewHeader("RSeq", strconv.FormatUint(uint64(u.rseq), 10)))
	t1 := c.m.timers.T1
	p := &relOut{res: res, rseq: u.rseq, sdp: len(res.Body()) > 0, interval: t1, deadline: c.m.clock.Now().Add(64 * t1)}
	p.onPrack = c.rel.answers[res]
	delete(c.rel.answers, res)
	u.pending = p
	c.respond(c.aInv.tx, res)
	first := t1
	if !strings.EqualFold(c.aInv.req.Transport(), "udp") {
		first = 64 * t1 // a reliable transport does not lose it: only the PRACK timeout
	}
	p.timer = c.after(first, func() { c.retransmitReliable(p) })
}

// retransmitReliable runs on a reliable provisional's timer: once more,
// at twice the interval, or after 64*T1 the INVITE fails with 500.
func (c *Call) retransmitReliable(p *relOut) {
	if c.rel.uas.pending != p || c.aInv.tx.Answered() || c.phase == phaseEnded {
		return
	}
	now := c.m.clock.Now()
	if !now.Before(p.deadline) {
		c.noPrack(p)
		return
	}
	wait := p.deadline.Sub(now)
	if strings.EqualFold(c.aInv.req.Transport(), "udp") {
		if err := c.aInv.tx.ServerTransaction.Respond(p.res); err != nil {
			c.log.Debug("retransmit reliable provisional", "rseq", p.rseq, "error", err)
		}
		p.interval *= 2 // §3: doubles each time (no T2 cap)
		wait = min(p.interval, wait)
	}
	p.timer = c.after(wait, func() { c.retransmitReliable(p) })
}

// noPrack ends a call whose caller never PRACKed a reliable provisional:
// 500 to its INVITE (RFC 3262 §3) and the callee legs ended (CANCEL while
// they ring, BYE to one that answered).
func (c *Call) noPrack(p *relOut) {
	c.log.Warn("reliable provisional never PRACKed: INVITE rejected", "rseq", p.rseq, "status", p.res.StatusCode)
	const reason = "Reliable Provisional Not Acknowledged"
	held := c.rel.uas.queue
	c.stopReliable()
	if c.phase == phaseRinging {
		c.stopRinging(500, reason, cdr.Failed, "no PRACK")
		return
	}
	// answered: the 2xx was held for this PRACK and never went out
	if len(held) > 0 {
		c.respondInvite(c.aInv, c.inviteResponse(c.aInv, 500, reason, nil), nil)
	}
	legs := c.upLegs()
	c.finish(cdr.Failed, 500, "no PRACK")
	c.a.event(EvEnd)
	for _, l := range legs {
		if l != c.a {
			c.endLeg(l, nil)
		}
	}
}

// stopReliable ends the retransmission and drops what waited for a PRACK.
func (c *Call) stopReliable() {
	u := &c.rel.uas
	if u.pending != nil && u.pending.timer != nil {
		u.pending.timer.Stop()
	}
	u.pending, u.queue = nil, nil
}

// onPrack answers a PRACK (RFC 3262 §3, §7.2): 200 for the one that
// acknowledges the caller's unacknowledged reliable provisional, then
// what waited for it; 481 for any other.
func (c *Call) onPrack(l *Leg, in *inbound) {
	req := in.req
	rack, err := rel100.RAckOf(req)
	if err != nil {
		in.fail(c, &sipx.StatusError{Code: 400, Reason: "Bad RAck", Err: err})
		return
	}
	u := &c.rel.uas
	p := u.pending
	if l != c.a || p == nil || rack.RSeq != p.rseq || rack.CSeq != c.aInv.seq || rack.Method != sip.INVITE {
		c.log.Debug("PRACK matches no reliable provisional", "leg", l.id, "rack", rack.String())
		in.fail(c, sipx.ErrNoDialog)
		return
	}
	if p.timer != nil {
		p.timer.Stop()
	}
	u.pending = nil
	var sdp []byte
	if hasSDP(req) {
		sdp = req.Body()
	}
	switch {
	case p.onPrack != nil:
		p.onPrack(sdp) // the answer to the provisional's offer
	case sdp != nil:
		// a new offer in the PRACK: not relayed (the PBX relays offers
		// in UPDATE and re-INVITE); refused, the early session stands
		in.reply(c, sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		c.flushReliable()
		return
	}
	in.reply(c, sip.NewResponseFromRequest(req, 200, "OK", nil))
	c.flushReliable()
}

// flushReliable sends what waited for a PRACK, in order, until one of them
// is again a reliable provisional waiting for its own.
func (c *Call) flushReliable() {
	u := &c.rel.uas
	for len(u.queue) > 0 && u.pending == nil && !c.aInv.tx.Answered() {
		h := u.queue[0]
		u.queue = u.queue[1:]
		c.respondInvite(c.aInv, h.res, h.onAck)
	}
}
