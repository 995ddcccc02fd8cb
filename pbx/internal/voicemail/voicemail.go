// Package voicemail is the media server's mailbox service: a call that
// finds its callee busy or unanswered is answered by the PBX, which plays
// the mailbox's greeting and a beep and records the caller to a WAV until
// they hang up (deposit.go); the mailbox's owner dials the voicemail
// number to hear, delete and save messages and record a greeting by DTMF
// (retrieve.go). Messages are WAV files in one folder per mailbox, their
// metadata rows in SQLite (store.go); every change is told to the PBX
// (WithOnChange), which sends MWI NOTIFYs.
//
// The service drives a call through the call layer's operations (Answer,
// Hangup, Do) and the media server's Terminate: it is a Decision.Service.
package voicemail

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media"
	"pbxlab/pbx/internal/sipx"
)

// Media is what the service needs of the media server (media.Server): to
// be the far end of the caller's leg, or find the endpoint it already is
// (a caller an IVR sends to a mailbox), its library and its pacer (nil
// when the media server is off: the service then has its own).
type Media interface {
	Terminate(c *call.Call, l *call.Leg, offer []byte) (*media.Endpoint, []byte, error)
	TerminateAnswer(c *call.Call, l *call.Leg, answer []byte) error
	Endpoint(c *call.Call, l *call.Leg) *media.Endpoint
	Library() *media.Library
	Pacer() *media.Pacer
}

// Config is the service's configuration (the PBX's voicemail section).
type Config struct {
	// Dir is the folder of the mailboxes (one sub-folder each), created
	// when missing. Required.
	Dir string
	// MaxMessage bounds a recording (message or greeting). > 0.
	MaxMessage time.Duration
	// Idle ends a retrieval call after this long without a digit. > 0.
	Idle time.Duration
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock of playback, recording limits and timestamps.
func WithClock(c clock.Clock) Option { return func(s *Service) { s.clock = c } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithOnChange is told the mailbox whose messages changed (a deposit, a
// message heard or deleted): the PBX's MWI. It runs on its own goroutine.
func WithOnChange(f func(mailbox string)) Option { return func(s *Service) { s.onChange = f } }

// Service is the voicemail service.
type Service struct {
	cfg      Config
	store    *Store
	lib      *media.Library
	pacer    *media.Pacer
	ownPacer bool
	ms       Media
	clock    clock.Clock
	log      *slog.Logger
	onChange func(mailbox string)
	beep     *media.Clip

	mu       sync.Mutex
	sessions map[*call.Call]*session

	wg        sync.WaitGroup // sessions not finished (a recording open)
	closing   chan struct{}
	closeOnce sync.Once
}

// New opens the message table in db and the mailbox folder.
func New(ctx context.Context, cfg Config, db *sql.DB, ms Media, opts ...Option) (*Service, error) {
	if cfg.Dir == "" || cfg.MaxMessage <= 0 || cfg.Idle <= 0 || ms == nil {
		return nil, fmt.Errorf("new voicemail: %w", ErrBadConfig)
	}
	s := &Service{cfg: cfg, ms: ms, clock: clock.New(), log: slog.New(slog.DiscardHandler), closing: make(chan struct{}),
		sessions: map[*call.Call]*session{}}
	for _, o := range opts {
		o(s)
	}
	if s.lib = ms.Library(); s.lib == nil {
		lib, err := media.NewLibrary(media.LibraryConfig{})
		if err != nil {
			return nil, fmt.Errorf("new voicemail: %w", err)
		}
		s.lib = lib
	}
	if s.pacer = ms.Pacer(); s.pacer == nil {
		s.pacer, s.ownPacer = media.NewPacer(s.clock), true
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("new voicemail: folder %s: %w", cfg.Dir, err)
	}
	st, err := OpenStore(ctx, db)
	if err != nil {
		return nil, err
	}
	s.store = st
	beep, err := media.Collect(media.NewToneSource(BeepTone()), media.Samples(time.Second))
	if err != nil {
		return nil, fmt.Errorf("new voicemail: beep: %w", err)
	}
	s.beep = media.NewClip(beep)
	s.recoverOrphans(ctx)
	return s, nil
}

// BeepTone is the beep after the greeting: 1 kHz for half a second (no
// simulated phone's identity uses 1 kHz).
func BeepTone() media.ToneSpec {
	return media.ToneSpec{Segments: []media.Segment{{Freqs: []float64{BeepHz}, Duration: 500 * time.Millisecond}}, Level: -10}
}

// BeepHz is the beep's frequency.
const BeepHz = 1000

// Close finishes every session still open: a message being recorded is
// closed and filed as if the caller had hung up (the PBX is stopping).
func (s *Service) Close() error {
	s.closeOnce.Do(func() { close(s.closing) })
	s.wg.Wait()
	if s.ownPacer {
		s.pacer.Close()
	}
	return nil
}

// Counts returns how many new and old messages mailbox holds.
func (s *Service) Counts(ctx context.Context, mailbox string) (Counts, error) {
	return s.store.Counts(ctx, mailbox)
}

// Messages lists mailbox's messages, new first.
func (s *Service) Messages(ctx context.Context, mailbox string) ([]Message, error) {
	return s.store.List(ctx, mailbox)
}

// Path is the file of a message.
func (s *Service) Path(m Message) string { return filepath.Join(s.cfg.Dir, filepath.FromSlash(m.File)) }

// GreetingPath is the file of mailbox's recorded greeting (it may not exist).
func (s *Service) GreetingPath(mailbox string) string {
	return filepath.Join(s.cfg.Dir, mailbox, greetingFile)
}

const (
	greetingFile  = "greeting.wav"
	messagePrefix = "msg-"
	partSuffix    = ".part"
)

// changed tells the PBX that mailbox changed.
func (s *Service) changed(mailbox string) {
	if s.onChange != nil {
		go s.onChange(mailbox)
	}
}

// session is one call the service answered: the caller's endpoint with a
// player and a listener. Its handlers run on the call's executor.
type session struct {
	s     *Service
	c     *call.Call
	ep    *media.Endpoint
	pl    *player
	ln    *listener
	digit func(byte) // posts a digit to the session on the executor
}

// answer makes the media server the caller's far end, answers the call
// and runs then (on the executor) once the ACK came; digit gets DTMF on
// the executor, end runs once the call is over. A failure refuses the call
// (480).
func (s *Service) answer(c *call.Call, digit func(*session, byte), then, end func(*session)) {
	ep, body, err := s.ms.Terminate(c, c.Caller(), c.Offer())
	if err != nil {
		c.Log().Warn("voicemail: cannot answer", "error", err)
		c.Reject(&sipx.StatusError{Code: 480, Reason: "Temporarily Unavailable", Err: err})
		return
	}
	lateOffer := len(c.Offer()) == 0
	ss := s.open(c, ep, digit, end)
	onAck := func(ack *sip.Request) {
		if lateOffer {
			// the 200 carried the PBX's offer: the ACK brings the answer
			if err := s.ms.TerminateAnswer(c, c.Caller(), ack.Body()); err != nil {
				c.Log().Warn("voicemail: answer in the ACK", "error", err)
				c.Hangup("voicemail: no usable answer in the ACK")
				return
			}
		}
		then(ss)
	}
	if err := c.Answer(c.Caller(), body, onAck); err != nil {
		c.Log().Warn("voicemail: answer", "error", err)
		c.Hangup("voicemail: " + err.Error())
	}
}

// take starts a session on a call the media server already answered (an
// IVR hands the caller over): then runs at once.
func (s *Service) take(c *call.Call, digit func(*session, byte), then, end func(*session)) error {
	ep := s.ms.Endpoint(c, c.Caller())
	if ep == nil {
		return fmt.Errorf("voicemail for call %s: %w", c.ID(), ErrNoEndpoint)
	}
	then(s.open(c, ep, digit, end))
	return nil
}

// open makes the session of a call on ep and finishes it when the call
// ends (or the service closes).
func (s *Service) open(c *call.Call, ep *media.Endpoint, digit func(*session, byte), end func(*session)) *session {
	ss := &session{s: s, c: c, ep: ep, pl: newPlayer(s.pacer, ep)}
	ss.digit = func(d byte) { c.Do(func() { digit(ss, d) }) }
	ss.ln = newListener(s.clock.Now, ss.digit)
	ep.SetReceiver(ss.ln)
	s.mu.Lock()
	s.sessions[c] = ss
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-c.Done():
		case <-s.closing:
		}
		ss.pl.Stop()
		ss.ep.SetReceiver(nil)
		end(ss)
		s.mu.Lock()
		delete(s.sessions, c)
		s.mu.Unlock()
	}()
	return ss
}

// Info takes a SIP INFO carrying DTMF (application/dtmf-relay,
// application/dtmf) in a call the service answered: ok is false for a
// call that is none of the service's; else res is the response (200, or
// 415/400 for a body that is no digit).
func (s *Service) Info(c *call.Call, req *sip.Request) (res *sip.Response, ok bool) {
	s.mu.Lock()
	ss := s.sessions[c]
	s.mu.Unlock()
	if ss == nil {
		return nil, false
	}
	digit, res, ok := media.AnswerDTMFInfo(req)
	if ok {
		ss.digit(digit)
	}
	return res, true
}

// play plays src, then runs next on the executor (nil: nothing).
func (ss *session) play(src media.Source, next func()) {
	ss.pl.Play(src, func() {
		if next != nil {
			ss.c.Do(next)
		}
	})
}

// prompt plays media IDs one after the other, then next.
func (ss *session) prompt(next func(), ids ...string) {
	src, err := ss.s.lib.Sequence(ids...)
	if err != nil {
		ss.c.Log().Warn("voicemail prompt", "ids", ids, "error", err)
		src = media.Silence(0)
	}
	ss.play(src, next)
}
