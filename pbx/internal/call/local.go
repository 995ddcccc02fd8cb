package call

import (
	"math/rand/v2"
	"strconv"

	"github.com/emiago/sipgo/sip"
)

// LocalMedia is a Media seam that can be the far end of a leg itself: the
// media server answering a call it terminates (a conference room, an IVR).
// A re-INVITE or UPDATE on a leg that is alone in its bridge (a service
// answered it) is answered through it instead of being relayed; without
// it such a request gets 481.
type LocalMedia interface {
	Media
	// Terminates reports whether the media server is l's far end.
	Terminates(l *Leg) bool
	// LocalAnswer answers an offer from leg l with the PBX's own SDP.
	LocalAnswer(l *Leg, offer []byte) ([]byte, error)
	// LocalOffer is the PBX's current SDP towards l, offered again in the
	// 2xx to a re-INVITE without SDP (the leg's answer in its ACK is taken
	// as agreeing: nothing the PBX plays changes).
	LocalOffer(l *Leg) ([]byte, error)
}

// answerLocally handles a re-INVITE, UPDATE or INFO on a leg alone in its
// bridge whose seam is LocalMedia; it reports false when it does not
// apply (the caller answers 481).
func (c *Call) answerLocally(l *Leg, in *inbound) bool {
	if l.bridge == nil || len(l.bridge.legs) != 1 {
		return false
	}
	lm, ok := l.bridge.media.(LocalMedia)
	if !ok || !lm.Terminates(l) {
		return false
	}
	req := in.req
	var (
		body []byte
		err  error
	)
	switch {
	case req.Method == sip.INFO:
		in.reply(c, sip.NewResponseFromRequest(req, 200, "OK", nil))
		return true
	case req.Method == sip.INVITE && l.inv != nil:
		// an INVITE while one is in progress on the dialog (§14.2)
		res := sip.NewResponseFromRequest(req, 500, "Server Internal Error", nil)
		res.AppendHeader(sip.NewHeader("Retry-After", strconv.Itoa(rand.IntN(11))))
		in.reply(c, res)
		return true
	case hasSDP(req):
		body, err = lm.LocalAnswer(l, req.Body())
	case req.Method == sip.INVITE:
		body, err = lm.LocalOffer(l)
	}
	if err != nil {
		c.log.Debug("local answer", "leg", l.id, "error", err)
		in.reply(c, sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return true
	}
	c.replyLocal(l, in, body)
	return true
}

// replyLocal answers a re-INVITE or UPDATE the PBX took itself with 200
// and its SDP body (a target refresh, §12.2.2).
func (c *Call) replyLocal(l *Leg, in *inbound, body []byte) {
	req := in.req
	l.refreshTarget(req)
	if req.Method == sip.INVITE {
		si := newServerInvite(l, req, in.tx)
		si.done = in.done // the handler waits on the request's completion
		l.inv = si
		c.respondInvite(si, c.inviteResponse(si, 200, "OK", body), nil)
		return
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(l.via.Contact(l.contactUser))
	if len(body) > 0 {
		ct := sip.ContentTypeHeader("application/sdp")
		res.AppendHeader(&ct)
		res.SetBody(body)
	}
	in.reply(c, res)
}
