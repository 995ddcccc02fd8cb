package voicemail

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"time"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media"
)

// The retrieval menu (DTMF, RFC 4733 events or SIP INFO):
//
//	1  play the next message (new ones first, then old, each oldest first);
//	   a message becomes old once it starts playing
//	2  play the current message again
//	7  delete the current message (confirmation tone)
//	9  save the current message: keep it as old (confirmation tone)
//	0  record a new greeting after the beep; # ends it (confirmation tone)
//	*  hear the number of new messages again
//
// On answer the caller hears "you have N new message(s)". Past the last
// message, 1 says "you have no new messages". Any other digit plays
// "invalid option". After voicemail.idle without a digit the PBX says
// goodbye and hangs up.
const (
	KeyNext     = '1'
	KeyRepeat   = '2'
	KeyDelete   = '7'
	KeySave     = '9'
	KeyGreeting = '0'
	KeySummary  = '*'
	KeyEnd      = '#'
)

// Retrieve returns the Decision.Service of mailbox's owner dialling the
// voicemail number: the menu above.
func (s *Service) Retrieve(mailbox string) func(c *call.Call) {
	return func(c *call.Call) {
		r := &retrieval{mailbox: mailbox, cur: -1}
		s.answer(c, r.digit, r.start, r.end)
	}
}

// retrieval is one owner listening to their mailbox. Its fields belong to
// the call's executor, except the greeting recording (mu).
type retrieval struct {
	mailbox string
	msgs    []Message
	cur     int // index in msgs of the current message, -1 before the first
	idle    interface{ Stop() bool }
	gen     int // bumped by every digit: a stale idle timer does nothing

	mu       sync.Mutex
	greeting *media.WAVWriter
	ended    bool
}

func (r *retrieval) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

func (r *retrieval) start(ss *session) {
	ctx, cancel := r.ctx()
	defer cancel()
	msgs, err := ss.s.store.List(ctx, r.mailbox)
	if err != nil {
		ss.c.Log().Warn("voicemail: list", "error", err)
	}
	r.msgs = msgs
	r.summary(ss)
}

// summary says how many new messages there are.
func (r *retrieval) summary(ss *session) {
	n := 0
	for _, m := range r.msgs {
		if m.New {
			n++
		}
	}
	src, err := ss.s.lib.NewMessages(n)
	if err != nil {
		src = media.Silence(0)
	}
	ss.play(src, func() { r.armIdle(ss) })
}

// armIdle (re)starts the wait for a digit.
func (r *retrieval) armIdle(ss *session) {
	if r.idle != nil {
		r.idle.Stop()
	}
	gen := r.gen
	r.idle = ss.s.clock.AfterFunc(ss.s.cfg.Idle, func() {
		ss.c.Do(func() {
			if gen != r.gen || r.recordingGreeting() {
				return
			}
			ss.prompt(func() { ss.c.Hangup("voicemail: idle") }, media.PromptGoodbye)
		})
	})
}

func (r *retrieval) recordingGreeting() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.greeting != nil
}

func (r *retrieval) digit(ss *session, d byte) {
	r.gen++
	if r.idle != nil {
		r.idle.Stop()
	}
	after := func() { r.armIdle(ss) }
	if r.recordingGreeting() {
		if d == KeyEnd {
			r.finishGreeting(ss)
			ss.play(r.confirmation(ss), after)
		}
		return
	}
	switch d {
	case KeyNext:
		if r.cur+1 >= len(r.msgs) {
			r.cur = len(r.msgs)
			src, _ := ss.s.lib.NewMessages(0)
			ss.play(orSilence(src), after)
			return
		}
		r.cur++
		r.playCurrent(ss, after)
	case KeyRepeat:
		r.playCurrent(ss, after)
	case KeyDelete:
		if !r.hasCurrent() {
			ss.prompt(after, media.PromptInvalidOption)
			return
		}
		m := r.msgs[r.cur]
		ctx, cancel := r.ctx()
		file, err := ss.s.store.Delete(ctx, m.ID)
		cancel()
		if err != nil {
			ss.c.Log().Warn("voicemail: delete", "error", err)
		}
		if file != "" {
			_ = os.Remove(filepath.Join(ss.s.cfg.Dir, filepath.FromSlash(file)))
		}
		r.msgs = append(r.msgs[:r.cur], r.msgs[r.cur+1:]...)
		r.cur--
		ss.s.changed(r.mailbox)
		ss.play(r.confirmation(ss), after)
	case KeySave:
		if !r.hasCurrent() {
			ss.prompt(after, media.PromptInvalidOption)
			return
		}
		ss.play(r.confirmation(ss), after)
	case KeyGreeting:
		ss.play(ss.s.beep.Source(), func() { r.recordGreeting(ss) })
	case KeySummary:
		r.summary(ss)
	default:
		ss.prompt(after, media.PromptInvalidOption)
	}
}

func (r *retrieval) hasCurrent() bool { return r.cur >= 0 && r.cur < len(r.msgs) }

// playCurrent plays the current message and marks it heard.
func (r *retrieval) playCurrent(ss *session, after func()) {
	if !r.hasCurrent() {
		ss.prompt(after, media.PromptInvalidOption)
		return
	}
	m := &r.msgs[r.cur]
	clip, err := media.ReadWAVFile(ss.s.Path(*m), 0)
	if err != nil {
		ss.c.Log().Warn("voicemail: message file", "file", m.File, "error", err)
		ss.prompt(after, media.PromptInvalidOption)
		return
	}
	if m.New {
		ctx, cancel := r.ctx()
		if was, err := ss.s.store.MarkOld(ctx, m.ID); err == nil && was {
			ss.s.changed(r.mailbox)
		}
		cancel()
		m.New = false
	}
	ss.play(clip.Source(), after)
}

func (r *retrieval) confirmation(ss *session) media.Source {
	return media.Limit(ss.s.beep.Source(), 200*time.Millisecond)
}

// recordGreeting records the caller to the mailbox's greeting (a .part
// file renamed on #, at the maximum length, or at hang-up).
func (r *retrieval) recordGreeting(ss *session) {
	s := ss.s
	path := s.GreetingPath(r.mailbox) + partSuffix
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		ss.c.Log().Warn("voicemail: greeting folder", "error", err)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	w, err := media.CreateWAV(path)
	if err != nil {
		ss.c.Log().Warn("voicemail: greeting", "error", err)
		return
	}
	r.greeting = w
	ss.ln.SetSink(w)
	gen := r.gen
	s.clock.AfterFunc(s.cfg.MaxMessage, func() {
		ss.c.Do(func() {
			if gen == r.gen && r.recordingGreeting() {
				r.finishGreeting(ss)
				ss.play(r.confirmation(ss), func() { r.armIdle(ss) })
			}
		})
	})
}

// finishGreeting closes the greeting being recorded and puts it in place.
func (r *retrieval) finishGreeting(ss *session) {
	r.mu.Lock()
	w := r.greeting
	r.greeting = nil
	r.mu.Unlock()
	ss.ln.SetSink(nil)
	if w == nil {
		return
	}
	path := ss.s.GreetingPath(r.mailbox)
	if err := w.Close(); err != nil || w.Samples() == 0 {
		_ = os.Remove(path + partSuffix)
		return
	}
	if err := os.Rename(path+partSuffix, path); err != nil {
		ss.c.Log().Warn("voicemail: greeting", "error", err)
	}
}

func (r *retrieval) end(ss *session) {
	r.mu.Lock()
	r.ended = true
	r.mu.Unlock()
	r.finishGreeting(ss)
}

func orSilence(src media.Source) media.Source {
	if src == nil {
		return media.Silence(0)
	}
	return src
}
