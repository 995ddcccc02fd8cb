package media

import (
	"fmt"
	"time"

	"pbxlab/internal/sdpneg"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
)

// Call interception and voice prompts (the manual's Call Services ch. 1):
// a call that cannot complete — vacant number, subscriber not registered,
// busy, no answer, refused, barred, no route — gets 183 Session Progress
// with the PBX's SDP (the caller's media anchored on the media server), the
// cause's prompt or tone in early media for a bounded time, then its final
// error. The PBX's policy hands such a call to Intercept's service (a
// Decision of kind ToService, from Route or OnFailure): the call package
// knows nothing of it.

// CauseOfStatus maps a final status to a cause of media.prompts ("" for
// none): 404 vacant, 403 barred, 486/600 busy, 408 no answer, 480
// unregistered, 503 congestion, any other refusal rejected.
func CauseOfStatus(code int) string {
	switch code {
	case 404, 484, 604:
		return config.CauseVacant
	case 403:
		return config.CauseBarred
	case 486, 600:
		return config.CauseBusy
	case 408:
		return config.CauseNoAnswer
	case 480:
		return config.CauseUnregistered
	case 503:
		return config.CauseCongestion
	}
	if code >= 400 && code < 700 && code != 487 {
		return config.CauseRejected
	}
	return ""
}

// CauseOfFailure maps a decision whose targets all failed to a cause:
// nobody registered (no response at all) is unregistered, busy is busy,
// the no-answer timer or 408/480 from a target is no_answer, the rest by
// the best response's status.
func CauseOfFailure(f call.Failure) string {
	switch {
	case f.Kind == call.Unreachable && f.Response == nil:
		return config.CauseUnregistered
	case f.Kind == call.Busy:
		return config.CauseBusy
	case f.Kind == call.NoAnswer:
		return config.CauseNoAnswer
	case f.Response != nil:
		return CauseOfStatus(f.Response.StatusCode)
	}
	return config.CauseCongestion
}

// Intercept returns the service that plays cause's prompt to the caller in
// early media and then ends the call with refuse (call.Reject with number
// analysis' error, call.Fail with the targets' failure), or nil when there
// is nothing to play (media server off, the cause's prompt off): the
// caller then gets the plain refusal at once.
func (s *Server) Intercept(cause string, refuse func(*call.Call)) func(*call.Call) {
	if !s.cfg.Enabled || s.svc == nil {
		return nil
	}
	p, ok := s.svc.prompts[cause]
	if !ok {
		return nil
	}
	return func(c *call.Call) { s.announce(c, cause, p, refuse) }
}

// announce runs on the call's executor: 183 with the PBX's SDP, the
// prompt, then refuse. Anything that prevents the prompt (a late offer, no
// port, no G.711) refuses at once.
func (s *Server) announce(c *call.Call, cause string, p prompt, refuse func(*call.Call)) {
	l := c.Caller()
	body, ep, err := s.earlyAnswer(c, l)
	if err == nil {
		err = c.Progress(l, 183, "Session Progress", body)
	}
	var src Source
	if err == nil {
		src, err = s.svc.source(p)
	}
	if err != nil {
		c.Log().Debug("no prompt", "cause", cause, "error", err)
		refuse(c)
		return
	}
	c.Log().Debug("prompt", "cause", cause, "media", p.id, "tone", p.tone)
	played := make(chan struct{})
	pl := s.svc.pacer.Play(ep, src, func(error) {
		close(played)
		c.Do(func() {
			select {
			case <-c.Done(): // cancelled meanwhile: the caller has its 487
			default:
				refuse(c)
			}
		})
	})
	// the prompt is bounded whatever the pacing: a player the machine is
	// too busy to pace is stopped a little after it should have ended
	deadline := s.clock.AfterFunc(s.svc.length(p)+promptSlack, pl.Stop)
	go func() {
		select {
		case <-c.Done():
			pl.Stop()
		case <-played:
		}
		deadline.Stop()
	}()
}

// promptSlack is how much longer than its length a prompt may take to
// play before it is cut and the call refused.
const promptSlack = 2 * time.Second

// earlyAnswer gives leg l (the caller, whose offer is pending) the PBX's
// answer for early media and returns it with l's endpoint: the answer l
// already has when a target gave it early media (the caller never sees its
// answer change; the relay from that target stops), else a new one — the
// first codec of l's offer the player can speak, PBX sendonly. A late
// offer (INVITE without SDP) gets no prompt: an offer in an unreliable 183
// cannot be answered.
func (s *Server) earlyAnswer(c *call.Call, l *call.Leg) ([]byte, *Endpoint, error) {
	return s.earlyAnswerAs(c, l, false)
}

// earlyAnswerAs is earlyAnswer; duplex answers sendrecv (as far as the
// caller's offer allows) instead of sendonly, for a service that hears
// the caller's digits in early media (the delayed hotline's dial tone).
func (s *Server) earlyAnswerAs(c *call.Call, l *call.Leg, duplex bool) ([]byte, *Endpoint, error) {
	s.mu.Lock()
	a := s.anchors[c]
	s.mu.Unlock()
	if a == nil {
		return nil, nil, fmt.Errorf("early media for %s: %w: call not anchored", c.ID(), ErrClosed)
	}
	st := a.state(l)
	if st.ours != nil && !st.theyOffered && st.ep != nil {
		a.mu.Lock()
		if st.peer != nil {
			st.peer.ep.Unlink()
			st.peer.peer = nil
			st.peer = nil
		}
		st.ep.Unlink()
		a.mu.Unlock()
		return st.raw, st.ep, nil
	}
	in := st.theirs
	if in == nil || !st.theyOffered {
		offer := c.Offer()
		if len(offer) == 0 {
			return nil, nil, fmt.Errorf("early media for %s: %w: late offer", c.ID(), ErrBadSDP)
		}
		var err error
		if in, err = parseLeg(offer); err != nil {
			return nil, nil, fmt.Errorf("early media for %s: %w", c.ID(), err)
		}
	}
	if in.rejected() {
		return nil, nil, fmt.Errorf("early media for %s: %w: audio declined", c.ID(), ErrBadSDP)
	}
	codecs, err := answerCodecs(in.sess.Codecs, []sdpneg.Codec{sdpneg.PCMU(), sdpneg.PCMA()})
	if err != nil {
		return nil, nil, fmt.Errorf("early media for %s: %w", c.ID(), err)
	}
	if err := a.ensureEndpoint(st, in.addr()); err != nil {
		return nil, nil, err
	}
	dir := sdpneg.SendOnly
	switch {
	case duplex:
		dir = answerDir(in.dir(), sdpneg.SendRecv)
	case !dirReceives(in.dir()):
		dir = sdpneg.Inactive
	}
	st.theirs, st.theyOffered = in, false
	o := &ourSDP{addr: a.advertised(st), codecs: codecs, dir: dir, ptime: in.sess.PTime, layout: in.layout, audio: in.audio}
	if err := st.send(o); err != nil {
		return nil, nil, fmt.Errorf("early media for %s: %w", c.ID(), err)
	}
	st.apply()
	return st.raw, st.ep, nil
}
