package call

import (
	"bytes"
	"fmt"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/sdp/v3"
)

// answerProblem says how res, a 2xx to the INVITE inv that the PBX sent,
// breaks offer/answer, or returns nil (RFC 3264, RFC 3261 §13.2.1):
//   - inv carried an offer and the 2xx no answer (an answer in an
//     unreliable 183 is only a preview: the 2xx must repeat it);
//   - inv carried none and the 2xx no offer;
//   - the answer has another number of media lines than the offer (§6:
//     one m= line per offered stream, in the same order).
//
// Or it is no 2xx of a dialog the PBX can keep (a carrier answering
// garbage): another Call-ID than the INVITE's (the transaction matched it
// by its Via branch alone), no To tag (RFC 3261 §8.2.6.2: a UAS adds one),
// an SDP body that does not parse.
//
// Such a 2xx is ACKed and its dialog ended with BYE: that callee does not
// win the call.
func answerProblem(inv *sip.Request, res *sip.Response) error {
	offered, answered := hasSDP(inv), hasSDP(res)
	if id := res.CallID(); id == nil || id.Value() != inv.CallID().Value() {
		return fmt.Errorf("2xx of %s: %w", inv.Recipient.User, ErrForeign2xx)
	}
	if to := res.To(); to == nil || tagOf(to.Params) == "" {
		return fmt.Errorf("2xx of %s: %w", inv.Recipient.User, ErrNoToTag)
	}
	if answered {
		if err := sdpProblem(res.Body()); err != nil {
			return fmt.Errorf("2xx of %s: %w", inv.Recipient.User, err)
		}
	}
	switch {
	case offered && !answered:
		return fmt.Errorf("2xx of %s: %w", inv.Recipient.User, ErrNoAnswer)
	case !offered && !answered:
		return fmt.Errorf("2xx of %s to an INVITE without offer: %w", inv.Recipient.User, ErrNoOffer)
	case offered:
		if n, m := mediaLines(inv.Body()), mediaLines(res.Body()); n != m {
			return fmt.Errorf("2xx of %s answers %d media lines to %d offered: %w", inv.Recipient.User, m, n, ErrMediaLines)
		}
	}
	return nil
}

// sdpProblem says why body is no SDP (RFC 4566) as pion/sdp reads it,
// or returns nil.
func sdpProblem(body []byte) error {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(string(body)); err != nil {
		return fmt.Errorf("%w: %w", ErrBadSDP, err)
	}
	return nil
}

// mediaLines counts the m= lines of an SDP body.
func mediaLines(sdp []byte) int {
	n := 0
	for line := range bytes.Lines(sdp) {
		if bytes.HasPrefix(line, []byte("m=")) {
			n++
		}
	}
	return n
}

// ackAnswerProblem says how ack, the caller's ACK of the PBX's 2xx that
// carried offer (a late offer: the caller's INVITE had none), breaks
// offer/answer (RFC 3261 §13.2.1: the ACK must carry the answer), or nil.
func ackAnswerProblem(offer []byte, ack *sip.Request) error {
	if !hasSDP(ack) {
		return fmt.Errorf("caller's ACK: %w", ErrNoAnswer)
	}
	if n, m := mediaLines(offer), mediaLines(ack.Body()); n != m {
		return fmt.Errorf("caller's ACK answers %d media lines to %d offered: %w", m, n, ErrMediaLines)
	}
	return nil
}
