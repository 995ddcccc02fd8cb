package attendant

import (
	"context"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media"
)

// locateTimeout bounds the location lookup of a transfer.
const locateTimeout = 5 * time.Second

// transfer rings the extension for the caller, who hears ringback: the
// PBX originates a leg to each of the extension's contacts with the
// caller's offer, in the caller's bridge, so the first to answer is
// relayed to the caller (the media server pairs the two endpoints on its
// answer) and the others are cancelled. If none answers, the caller hears
// why (busy, not available) and the call ends.
func (s *session) transfer(number string) {
	if len(s.c.Offer()) == 0 {
		s.failTransfer(number, fmt.Errorf("transfer to %s: %w", number, ErrLateOffer), 0)
		return
	}
	if pl, err := s.a.media.PlayTone(s.ep, media.ToneRingback, 0, nil); err == nil {
		s.setPlayer(pl)
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), locateTimeout)
		defer cancel()
		targets, err := s.a.locate(ctx, number)
		s.c.Do(func() { s.ring(number, targets, err) })
	}()
}

// ringing is one transfer in progress (on the call's executor).
type ringing struct {
	s       *session
	number  string
	legs    []*call.Leg
	pending int
	won     *call.Leg
	best    int // the best final status of the failed legs
	timer   clock.Timer
	over    bool
}

func (s *session) ring(number string, targets []call.Target, err error) {
	if s.ended() {
		return
	}
	if err == nil && len(targets) == 0 {
		err = fmt.Errorf("transfer to %s: %w", number, ErrNoContact)
	}
	if err != nil {
		s.failTransfer(number, err, 480)
		return
	}
	r := &ringing{s: s, number: number}
	s.ringing = r
	for _, t := range targets {
		l, err := s.c.Originate(t, s.leg, s.c.Offer(), r.progress)
		if err != nil {
			s.c.Log().Info("ivr transfer target", "to", number, "dest", t.Dest, "error", err)
			continue
		}
		r.legs = append(r.legs, l)
		r.pending++
	}
	if r.pending == 0 {
		s.failTransfer(number, fmt.Errorf("transfer to %s: %w", number, ErrNoContact), 480)
		return
	}
	r.timer = s.a.clock.AfterFunc(s.a.ring, func() { s.c.Do(r.noAnswer) })
}

// progress gets every response of the transfer's legs.
func (r *ringing) progress(l *call.Leg, res *sip.Response) {
	switch {
	case res.StatusCode < 200:
		return
	case res.IsSuccess():
		if r.over || r.s.ended() {
			// a second contact answered, or the caller hung up meanwhile
			r.s.c.Cancel(l) // BYE
			return
		}
		r.finish()
		r.won = l
		r.s.halt() // the ringback stops: the relay takes over
		r.s.c.Log().Info("ivr transfer answered", "to", r.number, "leg", l.ID())
		for _, o := range r.legs {
			if o != l {
				r.s.c.Cancel(o)
			}
		}
	default:
		r.pending--
		r.best = max(r.best, res.StatusCode)
		if res.StatusCode == 486 || res.StatusCode == 600 {
			r.best = res.StatusCode
		}
		if r.pending == 0 && !r.over {
			r.finish()
			r.s.failTransfer(r.number, fmt.Errorf("transfer to %s: answered %d", r.number, res.StatusCode), r.best)
		}
	}
}

// hangUp cancels the legs still ringing: the caller hung up.
func (r *ringing) hangUp() {
	if r.over {
		return
	}
	r.finish()
	for _, l := range r.legs {
		r.s.c.Cancel(l)
	}
}

func (r *ringing) noAnswer() {
	if r.over {
		return
	}
	r.finish()
	for _, l := range r.legs {
		r.s.c.Cancel(l)
	}
	r.s.failTransfer(r.number, fmt.Errorf("transfer to %s: no answer in %s", r.number, r.s.a.ring), 408)
}

func (r *ringing) finish() {
	r.over = true
	if r.timer != nil {
		r.timer.Stop()
	}
}

// failTransfer tells the caller the extension cannot be reached (busy, or
// not available) and hangs up.
func (s *session) failTransfer(number string, err error, code int) {
	s.c.Log().Info("ivr transfer failed", "to", number, "status", code, "error", err)
	prompt := media.PromptNotRegistered
	if code == 486 || code == 600 {
		prompt = media.PromptNumberBusy
	}
	s.sayAndHangUp(prompt, "ivr: transfer to "+number+" failed")
}

// toVoicemail hands the caller to the mailbox, or tells them it is not
// available.
func (s *session) toVoicemail(mailbox string) {
	if s.a.voicemail != nil {
		err := s.a.voicemail(s.c, mailbox)
		if err == nil {
			return
		}
		s.c.Log().Info("ivr voicemail", "mailbox", mailbox, "error", err)
	} else {
		s.c.Log().Info("ivr voicemail not available", "mailbox", mailbox)
	}
	s.sayAndHangUp(media.PromptNotRegistered, "ivr: voicemail "+mailbox+" not available")
}

// sayAndHangUp plays a prompt, then ends the call.
func (s *session) sayAndHangUp(prompt, why string) {
	s.halt()
	hang := func() { s.c.Do(func() { s.c.Hangup(why) }) }
	pl, err := s.a.media.PlayMedia(s.ep, []string{prompt}, func(err error) {
		if err == nil {
			hang()
		}
	})
	if err != nil {
		hang()
		return
	}
	s.setPlayer(pl)
}

func (s *session) ended() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.endedLocked()
}
