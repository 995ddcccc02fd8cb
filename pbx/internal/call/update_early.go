package call

import (
	"math/rand/v2"
	"strconv"

	"github.com/emiago/sipgo/sip"
)

// UPDATE in the early dialog (RFC 3311 §5): while the call rings, an
// UPDATE from the caller goes to the fork whose early dialog the caller
// hears (the one whose SDP it got; or the only fork in an early dialog),
// and an UPDATE from that fork goes to the caller. Its SDP crosses the
// bridge's seam as an offer, the answer of the 2xx back; the target is
// refreshed on both legs when it succeeds. Per leg, RFC 3311 §5.2's
// rules: an UPDATE with an offer on a leg where the PBX's own UPDATE
// offer waits for its answer gets 491; one on a leg whose previous UPDATE
// is still unanswered gets 500 with Retry-After. Any other early UPDATE
// (another fork's, or the caller's while no fork has an early dialog to
// take it) gets 500 with Retry-After too: it can be tried once the call is
// answered, when UPDATE is relayed as in any dialog (indialog.go).

// earlyUpdate is a leg's early-UPDATE state (RFC 3311 §5.2).
type earlyUpdate struct {
	in  bool // an UPDATE from the leg's peer is being relayed (not answered yet)
	out bool // the PBX's UPDATE with an offer on the leg waits for its answer
}

// earlyPeer is the leg an early UPDATE from l goes to, nil for none.
func (c *Call) earlyPeer(l *Leg) *Leg {
	if l == c.a {
		if e := c.bridge.early; e != nil && e.state == LegEarly {
			return e
		}
		var only *Leg
		for _, b := range c.branches {
			for _, x := range b.legs {
				if x.state != LegEarly {
					continue
				}
				if only != nil {
					return nil // several forks ring: none is the caller's
				}
				only = x
			}
		}
		return only
	}
	if l.state == LegEarly && (c.bridge.early == l || (c.bridge.early == nil && c.earlyPeer(c.a) == l)) {
		return c.a
	}
	return nil
}

func (c *Call) updState(l *Leg) *earlyUpdate {
	if c.rel.upd == nil {
		c.rel.upd = map[*Leg]*earlyUpdate{}
	}
	u := c.rel.upd[l]
	if u == nil {
		u = &earlyUpdate{}
		c.rel.upd[l] = u
	}
	return u
}

// retryLater is 500 with a Retry-After of 0 to 10 s (RFC 3311 §5.2).
func retryLater(req *sip.Request) *sip.Response {
	res := sip.NewResponseFromRequest(req, 500, "Server Internal Error", nil)
	res.AppendHeader(sip.NewHeader("Retry-After", strconv.Itoa(rand.IntN(11))))
	return res
}

// relayEarlyUpdate relays an UPDATE received on l while the call rings.
func (c *Call) relayEarlyUpdate(l *Leg, in *inbound) {
	req := in.req
	u := c.updState(l)
	o := c.earlyPeer(l)
	offer := hasSDP(req)
	switch {
	case offer && u.out:
		in.reply(c, sip.NewResponseFromRequest(req, 491, "Request Pending", nil))
		return
	case u.in || o == nil:
		in.reply(c, retryLater(req))
		return
	case offer && c.updState(o).in:
		// the far side's own UPDATE offer is in flight towards l: glare
		in.reply(c, sip.NewResponseFromRequest(req, 491, "Request Pending", nil))
		return
	}
	body := req.Body()
	if offer {
		var err error
		if body, err = c.bridge.offer(l, o, body); err != nil {
			in.reply(c, sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
			return
		}
	}
	out := o.request(c.m.deps.Token, sip.UPDATE, o.nextSeq(), body, contentType(req), c.maxForwards(req))
	u.in = true
	uo := c.updState(o)
	uo.out = offer
	c.sendRequest(o, out, func(res *sip.Response, err error) {
		u.in, uo.out = false, false
		if in.tx.Answered() {
			return
		}
		if err != nil {
			res = sip.NewResponseFromRequest(out, 408, "Request Timeout", nil)
		}
		back := sip.NewResponseFromRequest(req, res.StatusCode, res.Reason, nil)
		copyRelayed(res, back)
		if res.IsSuccess() {
			l.refreshTarget(req)
			o.refreshTarget(res)
			back.AppendHeader(l.via.Contact(l.contactUser))
			if offer && hasSDP(res) {
				ans, err := c.bridge.answer(o, l, res.Body())
				if err != nil {
					c.log.Warn("early UPDATE answer through the media seam", "leg", l.id, "error", err)
				}
				if len(ans) > 0 {
					back.AppendHeader(sip.NewHeader("Content-Type", contentType(res)))
					back.SetBody(ans)
				}
			}
		}
		in.reply(c, back)
	})
}

// inEarlyUpdate reports whether req on l is an UPDATE of a call that still
// rings (relayEarlyUpdate takes it).
func (c *Call) inEarlyUpdate(l *Leg, req *sip.Request) bool {
	return req.Method == sip.UPDATE && c.phase == phaseRinging && l.state == LegEarly
}
