package media

import (
	"fmt"

	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
)

// DialTone gives the caller of c, whose INVITE is still pending, the
// PBX's early media (183 Session Progress with an SDP that sends and
// receives: the caller's media anchored on the media server), plays the
// dial tone and hands the RFC 4733 digits the caller sends to onDigit (on
// the endpoint's receive goroutine: it must not block). The endpoint
// stays once the Dialling is stopped, and a target rung afterwards
// (call.Call.Reroute) is relayed through it, so the caller's answer never
// changes. Call it on the call's executor. Errors: the media server is
// off (486, see Require), a late offer or an unusable one, no port left.
func (s *Server) DialTone(c *call.Call, onDigit func(byte)) (*Dialling, error) {
	if err := s.Require(); err != nil {
		return nil, err
	}
	l := c.Caller()
	s.mu.Lock()
	a := s.anchors[c]
	s.mu.Unlock()
	if a == nil {
		return nil, fmt.Errorf("dial tone for %s: %w", c.ID(), ErrNotAnchored)
	}
	a.mode = config.AnchorRelay // the caller's answer is the PBX's from now on
	body, ep, err := s.earlyAnswerAs(c, l, true)
	if err != nil {
		return nil, err
	}
	if err := c.Progress(l, 183, "Session Progress", body); err != nil {
		return nil, fmt.Errorf("dial tone for %s: %w", c.ID(), err)
	}
	pl, err := s.PlayTone(ep, ToneDial, 0, nil)
	if err != nil {
		return nil, err
	}
	ep.SetReceiver(NewDTMFReceiver(onDigit, s.clock.Now))
	return &Dialling{ep: ep, tone: pl}, nil
}

// Dialling is a caller hearing the dial tone (DialTone). Its methods may
// run on any goroutine.
type Dialling struct {
	ep   *Endpoint
	tone *Player
}

// Quiet stops the dial tone (the first digit): digits still arrive.
func (d *Dialling) Quiet() { d.tone.Stop() }

// Stop stops the tone and the digit collection.
func (d *Dialling) Stop() {
	d.ep.SetReceiver(nil)
	d.tone.Stop()
}
