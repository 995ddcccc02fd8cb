package call

import (
	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/rel100"
)

// The callee legs of 100rel (RFC 3262 §4), the PBX being the UAC: every
// INVITE the PBX originates says Supported: 100rel; a reliable provisional
// (Require: 100rel and an RSeq) is PRACKed in its early dialog with RAck
// naming it. sipgo passes every 1xx up, retransmissions included, so the
// PBX keeps per leg (each early dialog numbers its own) the RSeq of the
// last reliable provisional it took: the first one starts the count, a
// later one is taken only with the next number — a retransmission (same or
// lower RSeq) is dropped without PRACK and without reaching the caller
// again, one that skips a number is dropped until it comes in order (§4).
// A reliable provisional with an offer (the PBX's INVITE had none: the
// caller made no offer) is PRACKed with the answer: the caller's own PRACK
// brings it when the caller got the offer in a reliable provisional (§5);
// otherwise (the caller lacks 100rel, or another fork has the early media)
// the PRACK goes without one.

// uacRel is the 100rel state of one callee leg.
type uacRel struct {
	last uint32 // RSeq of the last reliable provisional taken (0: none yet)
	// waiting is a reliable provisional with an offer whose PRACK waits for
	// the caller's answer (relayProvisional decides).
	waiting *sip.Response
	rseq    uint32
	// sdp is the SDP of the reliable provisional that carried one: the
	// answer to the PBX's offer, or the callee's offer (then answered in
	// the PRACK).
	sdp []byte
}

// WithRel100Offer says whether the INVITEs the PBX sends offer 100rel
// (Supported: 100rel; default true, config call.offer_100rel).
func WithRel100Offer(on bool) Option { return func(m *Manager) { m.noRel100 = !on } }

// rel100Supported is the Supported header of the INVITEs the PBX sends.
func rel100Supported() sip.Header { return sip.NewHeader("Supported", rel100.Tag) }

// takeReliable runs for each provisional response on callee leg l before it
// is relayed. It returns false for one to drop: a retransmitted or
// out-of-order reliable provisional (§4). A new one is PRACKed now, or,
// carrying an offer, marked to wait for the caller's answer.
func (c *Call) takeReliable(l *Leg, res *sip.Response, relaying bool) bool {
	rseq, ok := rel100.Reliable(res)
	if !ok {
		return true
	}
	if c.rel.uac == nil {
		c.rel.uac = map[*Leg]*uacRel{}
	}
	r := c.rel.uac[l]
	if r == nil {
		r = &uacRel{}
		c.rel.uac[l] = r
	}
	if r.last != 0 && rseq != r.last+1 {
		c.log.Debug("reliable provisional dropped", "leg", l.id, "rseq", rseq, "last", r.last)
		return false
	}
	r.last = rseq
	if hasSDP(res) && r.sdp == nil {
		r.sdp = res.Body()
	}
	offer := hasSDP(res) && l.branch != nil && len(l.branch.invite.Body()) == 0
	if offer && relaying {
		if supported, _ := c.callerRel(); supported {
			r.waiting, r.rseq = res, rseq
			return true
		}
	}
	c.prack(l, res, rseq, nil)
	return true
}

// prack sends the PRACK for reliable provisional res on leg l, with sdp (an
// answer) when not nil.
func (c *Call) prack(l *Leg, res *sip.Response, rseq uint32, sdp []byte) {
	ct := ""
	if len(sdp) > 0 {
		ct = "application/sdp"
	}
	req := l.request(c.m.deps.Token, sip.PRACK, l.nextSeq(), sdp, ct, -1)
	rel100.SetRAck(req, res, rseq)
	c.sendRequest(l, req, func(ack *sip.Response, err error) {
		switch {
		case err != nil:
			c.log.Debug("PRACK", "leg", l.id, "error", err)
		case !ack.IsSuccess():
			c.log.Info("PRACK refused", "leg", l.id, "status", ack.StatusCode)
		}
	})
}

// relayProvisional sends a callee's provisional response, as code with
// body, to the caller. A reliable one from l that waits for the caller's
// answer (takeReliable) gets it from the caller's PRACK when the caller
// receives the offer reliably; otherwise it is PRACKed now without one.
func (c *Call) relayProvisional(l *Leg, code int, reason string, body []byte) {
	res := c.inviteResponse(c.aInv, code, reason, body)
	r := c.rel.uac[l]
	if r != nil && r.waiting != nil {
		w, rseq := r.waiting, r.rseq
		r.waiting = nil
		if len(body) > 0 && c.wantsReliable(res) {
			if c.rel.answers == nil {
				c.rel.answers = map[*sip.Response]func([]byte){}
			}
			c.rel.answers[res] = func(sdp []byte) {
				var ans []byte
				if len(sdp) > 0 {
					var err error
					if ans, err = c.bridge.answer(c.a, l, sdp); err != nil {
						c.log.Warn("early answer through the media seam", "leg", l.id, "error", err)
					}
					c.lateOffer = false // offer/answer done in the early dialog: the 2xx brings no new offer
				}
				c.prack(l, w, rseq, ans)
			}
		} else {
			c.log.Info("reliable provisional's offer has no answer to give: PRACK without SDP", "leg", l.id)
			c.prack(l, w, rseq, nil)
		}
	}
	c.respondInvite(c.aInv, res, nil)
}

// earlyAnswer completes a callee's 2xx without SDP on leg l whose
// offer/answer was done in a reliable provisional (RFC 3262 §5: the 2xx
// need not repeat it): the provisional's SDP stands for the 2xx's, so the
// caller gets it in its 2xx (a caller without 100rel has only seen it in an
// unreliable provisional).
func (c *Call) earlyAnswer(l *Leg, res *sip.Response) {
	r := c.rel.uac[l]
	if r == nil || len(r.sdp) == 0 || hasSDP(res) {
		return
	}
	res.RemoveHeader("Content-Type")
	ct := sip.ContentTypeHeader("application/sdp")
	res.AppendHeader(&ct)
	res.SetBody(r.sdp)
}
