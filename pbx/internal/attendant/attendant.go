// Package attendant runs the IVR / auto-attendant on calls: the PBX
// answers a call to an IVR number itself (the media server's endpoint
// faces the caller), plays the menus' prompts, collects the caller's DTMF
// (RFC 4733 through the endpoint, SIP INFO through the policy) and carries
// out what the menu machine of package ivr decides: re-prompts, sub-menus,
// a transfer to an extension, voicemail, hang-up.
//
// It is a room of its own: the PBX hands it a call (Service, a
// call.Decision of kind ToService) and its SIP INFO requests (Info); it
// drives the call only through the call package's operations (Answer,
// Originate, Cancel, Hangup) and the media server through the Media
// interface.
package attendant

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media"
	"pbxlab/pbx/internal/media/ivr"
)

// Media is what the attendant needs of the media server
// (*media.Server implements it).
type Media interface {
	// Terminate answers leg l itself and returns its endpoint and the SDP
	// to send it (the answer to offer, or an offer when offer is empty).
	Terminate(c *call.Call, l *call.Leg, offer []byte) (*media.Endpoint, []byte, error)
	// TerminateAnswer takes the leg's answer (its ACK) to that offer.
	TerminateAnswer(c *call.Call, l *call.Leg, answer []byte) error
	// PlayMedia plays media IDs in turn; done runs once (nil at the end).
	PlayMedia(ep *media.Endpoint, ids []string, done func(error)) (*media.Player, error)
	// PlayTone plays a tone of the plan (d 0: until stopped).
	PlayTone(ep *media.Endpoint, kind media.ToneKind, d time.Duration, done func(error)) (*media.Player, error)
}

// Locator finds where an extension rings (the PBX's location service).
// It may do I/O: the attendant calls it off the call's executor.
type Locator func(ctx context.Context, number string) ([]call.Target, error)

// Voicemail takes a caller the IVR sends to a mailbox (on the call's
// executor); an error means voicemail is not available for it.
type Voicemail func(c *call.Call, mailbox string) error

// DefaultRingTimeout bounds how long a transfer rings the extension.
const DefaultRingTimeout = 30 * time.Second

// Attendant holds the IVR configurations and the calls in an IVR.
type Attendant struct {
	numbers   map[string]*ivr.Config
	media     Media
	locate    Locator
	voicemail Voicemail
	log       *slog.Logger
	clock     clock.Clock
	ring      time.Duration

	mu       sync.Mutex
	sessions map[*call.Call]*session
}

// Option configures an Attendant.
type Option func(*Attendant)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(a *Attendant) { a.log = l } }

// WithClock sets the clock of the menus' digit timeouts and the ring
// timeout (default: the wall clock).
func WithClock(c clock.Clock) Option { return func(a *Attendant) { a.clock = c } }

// WithRingTimeout bounds a transfer's ringing (default DefaultRingTimeout).
func WithRingTimeout(d time.Duration) Option {
	return func(a *Attendant) {
		if d > 0 {
			a.ring = d
		}
	}
}

// WithVoicemail hands voicemail actions to v; without it a voicemail
// action tells the caller the mailbox is not available and hangs up.
func WithVoicemail(v Voicemail) Option { return func(a *Attendant) { a.voicemail = v } }

// New builds the attendant of the IVR configurations cfgs (each validated
// by ivr.Load); an IVR number in two of them is ErrDuplicateNumber.
func New(cfgs []*ivr.Config, m Media, locate Locator, opts ...Option) (*Attendant, error) {
	a := &Attendant{numbers: map[string]*ivr.Config{}, media: m, locate: locate, log: slog.New(slog.DiscardHandler),
		clock: clock.New(), ring: DefaultRingTimeout, sessions: map[*call.Call]*session{}}
	for _, o := range opts {
		o(a)
	}
	for _, cfg := range cfgs {
		for _, num := range slices.Sorted(maps.Keys(cfg.Numbers)) {
			if _, dup := a.numbers[num]; dup {
				return nil, fmt.Errorf("new attendant: IVR number %s: %w", num, ErrDuplicateNumber)
			}
			a.numbers[num] = cfg
		}
	}
	return a, nil
}

// Has reports whether number is an IVR number.
func (a *Attendant) Has(number string) bool {
	_, ok := a.numbers[number]
	return ok
}

// Numbers returns the IVR numbers, sorted.
func (a *Attendant) Numbers() []string { return slices.Sorted(maps.Keys(a.numbers)) }

// Active is the number of calls in an IVR menu now.
func (a *Attendant) Active() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.sessions)
}

// Service returns the service that runs the IVR of number on a call (for
// a call.Decision of kind ToService), nil when number is no IVR.
func (a *Attendant) Service(number string) func(*call.Call) {
	cfg, ok := a.numbers[number]
	if !ok {
		return nil
	}
	return func(c *call.Call) { a.start(c, cfg, number) }
}

// Info takes a SIP INFO on a call (on its executor): DTMF for the call's
// IVR menu is answered 200 (415 for a body that carries no DTMF, 400 for
// a bad one); ok is false when the call is in no menu.
func (a *Attendant) Info(c *call.Call, req *sip.Request) (res *sip.Response, ok bool) {
	a.mu.Lock()
	s := a.sessions[c]
	a.mu.Unlock()
	if s == nil {
		return nil, false
	}
	digit, res, ok := media.AnswerDTMFInfo(req)
	if ok {
		s.digit(digit)
	}
	return res, true
}

func (a *Attendant) track(c *call.Call, s *session) {
	a.mu.Lock()
	a.sessions[c] = s
	a.mu.Unlock()
}

func (a *Attendant) untrack(c *call.Call, s *session) {
	a.mu.Lock()
	if a.sessions[c] == s {
		delete(a.sessions, c)
	}
	a.mu.Unlock()
}
