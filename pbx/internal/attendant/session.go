package attendant

import (
	"sync"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media"
	"pbxlab/pbx/internal/media/ivr"
)

// session is one caller in an IVR. Its methods run on the call's
// executor; mu guards what the end of the call (its own goroutine) stops.
type session struct {
	a      *Attendant
	c      *call.Call
	leg    *call.Leg
	ep     *media.Endpoint
	m      *ivr.Machine
	number string

	mu     sync.Mutex
	player *media.Player
	timer  clock.Timer
	left   bool // the caller left the menus (transfer, voicemail, hang-up) or the call ended

	ringing *ringing // the transfer in progress (executor-owned)
}

// start answers the call with the media server's endpoint and enters the
// IVR's entry menu.
func (a *Attendant) start(c *call.Call, cfg *ivr.Config, number string) {
	m, err := cfg.NewMachine(number)
	if err != nil {
		c.Reject(err)
		return
	}
	l := c.Caller()
	offer := c.Offer()
	ep, body, err := a.media.Terminate(c, l, offer)
	if err != nil {
		c.Log().Info("ivr: cannot answer", "number", number, "error", err)
		c.Reject(err)
		return
	}
	s := &session{a: a, c: c, leg: l, ep: ep, m: m, number: number}
	var onAck func(*sip.Request)
	if len(offer) == 0 {
		// late offer: the PBX offered in its 2xx, the ACK answers
		onAck = func(ack *sip.Request) {
			if err := a.media.TerminateAnswer(c, l, ack.Body()); err != nil {
				c.Log().Info("ivr: bad answer in ACK", "error", err)
			}
		}
	}
	if err := c.Answer(l, body, onAck); err != nil {
		c.Log().Info("ivr: cannot answer", "number", number, "error", err)
		c.Reject(err)
		return
	}
	a.track(c, s)
	ep.SetReceiver(media.NewDTMFReceiver(func(d byte) { c.Do(func() { s.digit(d) }) }, a.clock.Now))
	go func() {
		<-c.Done()
		s.stop()
	}()
	c.Log().Info("ivr answered", "number", number, "menu", m.Menu())
	s.exec(m.Next(ivr.Event{Kind: ivr.Start}))
}

// digit takes one key the caller pressed (RFC 4733 or SIP INFO).
func (s *session) digit(d byte) {
	if s.gone() {
		return
	}
	s.c.Log().Debug("ivr digit", "digit", string(d), "menu", s.m.Menu())
	s.exec(s.m.Next(ivr.Event{Kind: ivr.Digit, Digit: d}))
}

// event feeds a prompt end or a timeout to the machine.
func (s *session) event(ev ivr.Event) {
	if s.gone() {
		return
	}
	s.exec(s.m.Next(ev))
}

// exec does what the machine said.
func (s *session) exec(st ivr.Step) {
	if st.Kind == ivr.None {
		return
	}
	s.c.Log().Debug("ivr step", "kind", st.Kind, "menu", st.Menu, "media", st.Media, "target", st.Target, "reason", st.Reason)
	s.halt()
	switch st.Kind {
	case ivr.Play:
		s.play(st)
	case ivr.Wait:
		seq := st.Seq
		t := s.a.clock.AfterFunc(st.Timeout, func() {
			s.c.Do(func() { s.event(ivr.Event{Kind: ivr.Timeout, Seq: seq}) })
		})
		s.mu.Lock()
		s.timer = t
		s.mu.Unlock()
	case ivr.Call:
		s.leave()
		s.c.Log().Info("ivr transfer", "number", s.number, "menu", st.Menu, "to", st.Target, "reason", st.Reason)
		s.transfer(st.Target)
	case ivr.Voicemail:
		s.leave()
		s.toVoicemail(st.Target)
	case ivr.Hangup:
		s.leave()
		s.c.Log().Info("ivr hangs up", "number", s.number, "menu", st.Menu, "reason", st.Reason)
		s.c.Hangup("ivr: " + st.Reason)
	}
}

// play starts a Play step; its end comes back as PromptDone.
func (s *session) play(st ivr.Step) {
	seq := st.Seq
	done := func() { s.c.Do(func() { s.event(ivr.Event{Kind: ivr.PromptDone, Seq: seq}) }) }
	if len(st.Media) == 0 {
		done()
		return
	}
	pl, err := s.a.media.PlayMedia(s.ep, st.Media, func(err error) {
		if err == nil { // not stopped: it played to its end
			done()
		}
	})
	if err != nil {
		s.c.Log().Warn("ivr prompt", "media", st.Media, "error", err)
		done()
		return
	}
	s.setPlayer(pl)
}

func (s *session) setPlayer(pl *media.Player) {
	s.mu.Lock()
	if s.endedLocked() { // the call ended meanwhile: stop() has run
		s.mu.Unlock()
		pl.Stop()
		return
	}
	s.player = pl
	s.mu.Unlock()
}

// halt stops the prompt playing and the digit timer.
func (s *session) halt() {
	s.mu.Lock()
	pl, t := s.player, s.timer
	s.player, s.timer = nil, nil
	s.mu.Unlock()
	if pl != nil {
		pl.Stop()
	}
	if t != nil {
		t.Stop()
	}
}

// leave takes the caller out of the menus: no more digits.
func (s *session) leave() {
	s.mu.Lock()
	s.left = true
	s.mu.Unlock()
	s.ep.SetReceiver(nil)
	s.a.untrack(s.c, s)
}

func (s *session) gone() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.left
}

// endedLocked reports whether the call is over (s.mu held).
func (s *session) endedLocked() bool {
	select {
	case <-s.c.Done():
		return true
	default:
		return false
	}
}

// stop runs when the call is over: whatever plays or waits stops, and
// the extension of a transfer stops ringing.
func (s *session) stop() {
	s.mu.Lock()
	s.left = true
	s.mu.Unlock()
	s.halt()
	s.a.untrack(s.c, s)
	s.c.Do(func() {
		if s.ringing != nil {
			s.ringing.hangUp()
		}
	})
}
