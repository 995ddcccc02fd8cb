package call

import "github.com/emiago/sipgo/sip"

// LocalHolder is a Media seam that can take a hold or a resume itself:
// the PBX answers the holder's re-offer with its own SDP (the direction
// mirrored) and does not pass it to the other leg, which keeps its
// session as it was and hears what the seam plays it (music on hold). The
// PBX decides per call and per holder (the hold service's mode); a seam
// that declines (ok false) lets the re-offer be relayed end to end.
type LocalHolder interface {
	Media
	// HoldLocally answers from's offer (a hold: sendonly, inactive or
	// c=0.0.0.0; or the resume of a hold it took) when the PBX holds for
	// from; ok false relays it to to as usual.
	HoldLocally(from, to *Leg, offer []byte) (answer []byte, ok bool, err error)
}

// holdLocally answers a re-INVITE or UPDATE with SDP on l, bridged to o,
// through the seam's LocalHolder; it reports false when the seam relays
// it instead.
func (c *Call) holdLocally(l, o *Leg, in *inbound) bool {
	req := in.req
	if req.Method != sip.INVITE && req.Method != sip.UPDATE || !hasSDP(req) || l.bridge == nil {
		return false
	}
	lh, ok := l.bridge.media.(LocalHolder)
	if !ok {
		return false
	}
	body, ok, err := lh.HoldLocally(l, o, req.Body())
	if !ok {
		return false
	}
	if err != nil {
		c.log.Debug("local hold", "leg", l.id, "error", err)
		in.reply(c, sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return true
	}
	c.replyLocal(l, in, body)
	return true
}
