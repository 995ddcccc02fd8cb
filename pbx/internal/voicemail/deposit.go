package voicemail

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media"
)

// Deposit returns the Decision.Service that takes a message for mailbox:
// the PBX answers, plays the mailbox's recorded greeting (else the
// built-in voicemail-greeting prompt) and the beep, then records the
// caller until they hang up, press #, or the message reaches its maximum
// length. The row is written once the WAV is closed; an empty recording
// (a hang-up during the greeting) leaves nothing.
func (s *Service) Deposit(mailbox string) func(c *call.Call) {
	return func(c *call.Call) {
		d := &deposit{mailbox: mailbox, caller: c.CallerNumber()}
		s.answer(c, d.digit, d.start, d.end)
	}
}

// DepositAnswered takes a message for mailbox on a call the media server
// already answered (an IVR's voicemail action): greeting, beep, recording.
func (s *Service) DepositAnswered(c *call.Call, mailbox string) error {
	d := &deposit{mailbox: mailbox, caller: c.CallerNumber()}
	return s.take(c, d.digit, d.start, d.end)
}

// deposit is one message being left.
type deposit struct {
	mailbox, caller string

	mu    sync.Mutex // the recording: the executor starts it, the end closes it
	rec   *media.WAVWriter
	limit clock.Timer // the message's maximum length
	file  string
	at    time.Time
	done  bool
}

func (d *deposit) start(ss *session) {
	s := ss.s
	src := media.Source(nil)
	if clip, err := media.ReadWAVFile(s.GreetingPath(d.mailbox), media.DefaultMaxWAVBytes); err == nil {
		src = clip.Source()
	} else if src, err = s.lib.Source(media.PromptVoicemailGreeting); err != nil {
		ss.c.Log().Warn("voicemail greeting", "error", err)
		src = media.Silence(0)
	}
	ss.play(src, func() { ss.play(s.beep.Source(), func() { d.record(ss) }) })
}

// record starts the recording (on the executor, after the beep).
func (d *deposit) record(ss *session) {
	s := ss.s
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done {
		return
	}
	d.file = s.newMessageFile(d.mailbox, d.caller, s.clock.Now())
	path := filepath.Join(s.cfg.Dir, filepath.FromSlash(d.file))
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		ss.c.Log().Error("voicemail: mailbox folder", "error", err)
		ss.c.Hangup("voicemail: cannot record")
		return
	}
	w, err := media.CreateWAV(path)
	if err != nil {
		ss.c.Log().Error("voicemail: create message", "error", err)
		ss.c.Hangup("voicemail: cannot record")
		return
	}
	d.rec, d.at = w, s.clock.Now()
	ss.ln.SetSink(w)
	d.limit = s.clock.AfterFunc(s.cfg.MaxMessage, func() {
		ss.c.Do(func() { ss.c.Hangup("voicemail: message at its maximum length") })
	})
}

func (d *deposit) digit(ss *session, digit byte) {
	d.mu.Lock()
	recording := d.rec != nil
	d.mu.Unlock()
	if digit == '#' && recording {
		ss.c.Hangup("voicemail: message recorded")
	}
}

// end closes the recording and files the message (any goroutine).
func (d *deposit) end(ss *session) {
	s := ss.s
	d.mu.Lock()
	d.done = true
	w := d.rec
	d.rec = nil
	if d.limit != nil {
		d.limit.Stop()
	}
	d.mu.Unlock()
	ss.ln.SetSink(nil) // record cannot set it again: done
	if w == nil {
		return
	}
	path := filepath.Join(s.cfg.Dir, filepath.FromSlash(d.file))
	err := w.Close()
	n := w.Samples()
	if err != nil || n == 0 {
		if err != nil {
			s.log.Error("voicemail: close message", "mailbox", d.mailbox, "file", d.file, "error", err)
		}
		_ = os.Remove(path)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id, err := s.store.Add(ctx, Message{Mailbox: d.mailbox, Caller: d.caller, At: d.at, Duration: media.DurationOf(int(n)), File: d.file})
	if err != nil {
		s.log.Error("voicemail: file message", "mailbox", d.mailbox, "error", err)
		_ = os.Remove(path)
		return
	}
	s.log.Info("voicemail message", "mailbox", d.mailbox, "caller", d.caller, "id", id, "duration", media.DurationOf(int(n)))
	s.changed(d.mailbox)
}
