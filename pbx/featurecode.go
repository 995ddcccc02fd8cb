package pbx

import (
	"context"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media"
	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

// How a feature code a service took is answered (project default, the
// manual digest): the PBX answers the call (200 with its SDP, the media
// server the caller's far end), plays the confirmation tone once, and
// hangs up. The setting is stored only when it can be confirmed: with the
// media server off the code is refused with 486 (the manual: services
// that need the media server fail, the caller hears busy tone) and nothing
// changes. A code the service is off for was refused before (403).

// featureCode applies the feature of v and returns the decision that
// confirms it.
func (s *Server) featureCode(ctx context.Context, in call.Incoming, v services.Verdict) call.Decision {
	if err := s.media.Require(); err != nil {
		return call.Decision{Kind: call.Reject, Callee: in.Dialled, Err: err}
	}
	if v.Apply != nil {
		if err := v.Apply(ctx); err != nil {
			s.log.Warn("feature code", "service", v.By, "caller", in.Caller.Number, "error", err)
			return call.Decision{Kind: call.Reject, Callee: in.Dialled, Err: &sipx.StatusError{Code: 500, Reason: "Server Internal Error", Err: err}}
		}
	}
	s.log.Info("feature code", "service", v.By, "caller", in.Caller.Number, "dialled", in.Dialled)
	return call.Decision{Kind: call.ToService, Callee: in.Dialled, Service: s.confirmFeature}
}

// confirmFeature runs on the call's executor: answer, confirmation tone,
// hang up. Anything that prevents the answer refuses the call (480).
func (s *Server) confirmFeature(c *call.Call) {
	ep, body, err := s.media.Terminate(c, c.Caller(), c.Offer())
	if err != nil {
		c.Log().Warn("feature code: cannot answer", "error", err)
		c.Reject(&sipx.StatusError{Code: 480, Reason: "Temporarily Unavailable", Err: err})
		return
	}
	lateOffer := len(c.Offer()) == 0
	onAck := func(ack *sip.Request) {
		if lateOffer {
			if err := s.media.TerminateAnswer(c, c.Caller(), ack.Body()); err != nil {
				c.Hangup("feature code: no usable answer in the ACK")
				return
			}
		}
		_, err := s.media.PlayTone(ep, media.ToneConfirmation, 0, func(error) {
			c.Do(func() {
				select {
				case <-c.Done():
				default:
					c.Hangup("feature code confirmed")
				}
			})
		})
		if err != nil {
			c.Hangup("feature code: " + err.Error())
		}
	}
	if err := c.Answer(c.Caller(), body, onAck); err != nil {
		c.Hangup("feature code: " + err.Error())
	}
}
