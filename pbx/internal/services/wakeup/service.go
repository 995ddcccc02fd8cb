// Package wakeup is the wake-up alarm (project default; the manual's
// chapters on it are unread): a subscriber dials *55*hhmm# and at hh:mm
// (services.wakeup.time_zone) the PBX calls it and plays the wake-up
// announcement (a media ID, or a built-in tone); #55# cancels. See
// README.md for the choices made.
//
//	*55*hhmm#  set (confirmation tone); hhmm 0000-2359, else 484
//	#55#       cancel (confirmation tone)
//
// The alarm rings once (the next hh:mm from when it was set). An
// unanswered alarm is tried again after retry_interval, retries times
// (default 3 times, 5 minutes apart); answered, or out of tries, it is
// cleared. Alarms are kept in the store and armed again when the PBX
// starts; one whose time passed while the PBX was down rings at its next
// hh:mm.
package wakeup

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

// Name is the service's switch name.
const Name = "wakeup"

// Ringer calls subscriber once and plays the announcement; done gets
// whether it answered (called once, from any goroutine).
type Ringer func(ctx context.Context, subscriber string, done func(answered bool))

// Service is the wake-up alarm: its codes and its alarms' timers.
type Service struct {
	cfg   Config
	st    Store
	clock clock.Clock
	log   *slog.Logger
	ring  Ringer
	loc   *time.Location

	mu     sync.Mutex
	ctx    context.Context
	alarms map[string]*alarm
}

// alarm is one subscriber's armed alarm.
type alarm struct {
	at    Clock
	tries int // calls made so far
	timer clock.Timer
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock the alarms run on.
func WithClock(c clock.Clock) Option { return func(s *Service) { s.clock = c } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithRinger sets how the PBX calls a subscriber (without one, alarms are
// stored but never ring).
func WithRinger(r Ringer) Option { return func(s *Service) { s.ring = r } }

// New builds the service of a checked configuration with its store.
func New(cfg Config, st Store, opts ...Option) (*Service, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("wake-up: %w", ps[0])
	}
	s := &Service{cfg: cfg.withDefaults(), st: st, clock: clock.New(), log: slog.New(slog.DiscardHandler),
		alarms: map[string]*alarm{}}
	for _, o := range opts {
		o(s)
	}
	s.loc = s.cfg.location()
	return s, nil
}

// Name implements services.Service.
func (s *Service) Name() string { return Name }

// Config is the configuration with its defaults filled in.
func (s *Service) Config() Config { return s.cfg }

// Claims implements services.Codes.
func (s *Service) Claims(dialled string) bool { op, _ := Parse(dialled); return op != None }

// Dialled implements services.Dialled: *55*hhmm# and #55#.
func (s *Service) Dialled(_ context.Context, c *services.Call) (services.Verdict, error) {
	op, at := Parse(c.Dialled)
	switch {
	case op == None:
		return services.Verdict{}, nil
	case !c.Subscriber:
		return services.Refusal(403, "Forbidden", fmt.Errorf("wake-up code from %q: %w", c.Caller, sipx.ErrForbidden)), nil
	case op == Malformed:
		return services.Refusal(484, "Address Incomplete", fmt.Errorf("%q: %w", c.Dialled, ErrMalformed)), nil
	}
	sub := c.Caller
	if op == Cancel {
		return services.Verdict{Kind: services.Feature, Apply: func(ctx context.Context) error { return s.Cancel(ctx, sub) }}, nil
	}
	return services.Verdict{Kind: services.Feature, Apply: func(ctx context.Context) error { return s.Set(ctx, sub, at) }}, nil
}

// Set stores subscriber's alarm at hhmm and arms it.
func (s *Service) Set(ctx context.Context, subscriber, hhmm string) error {
	at, err := ParseTime(hhmm)
	if err != nil {
		return fmt.Errorf("wake-up of %s: %w", subscriber, err)
	}
	if err := s.st.Put(ctx, subscriber, hhmm); err != nil {
		return fmt.Errorf("wake-up of %s: %w", subscriber, err)
	}
	s.arm(subscriber, at)
	s.log.Info("wake-up alarm set", "subscriber", subscriber, "at", hhmm)
	return nil
}

// Cancel clears subscriber's alarm.
func (s *Service) Cancel(ctx context.Context, subscriber string) error {
	s.disarm(subscriber)
	if err := s.st.Delete(ctx, subscriber); err != nil {
		return fmt.Errorf("wake-up of %s: %w", subscriber, err)
	}
	s.log.Info("wake-up alarm cancelled", "subscriber", subscriber)
	return nil
}

// Pending returns the armed alarms: subscriber -> hhmm.
func (s *Service) Pending() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.alarms))
	for sub, a := range s.alarms {
		out[sub] = a.at.String()
	}
	return out
}

// Run arms the stored alarms and rings them until ctx ends; then every
// timer is stopped.
func (s *Service) Run(ctx context.Context) error {
	all, err := s.st.All(ctx)
	if err != nil {
		return fmt.Errorf("wake-up: %w", err)
	}
	s.mu.Lock()
	s.ctx = ctx
	s.mu.Unlock()
	for sub, hhmm := range all {
		at, err := ParseTime(hhmm)
		if err != nil {
			s.log.Warn("wake-up: stored alarm dropped", "subscriber", sub, "at", hhmm, "error", err)
			continue
		}
		s.arm(sub, at)
	}
	<-ctx.Done()
	s.mu.Lock()
	defer s.mu.Unlock()
	for sub, a := range s.alarms {
		a.timer.Stop()
		delete(s.alarms, sub)
	}
	return nil
}

// Next is the first time at hh:mm in loc strictly after now.
func Next(now time.Time, at Clock, loc *time.Location) time.Time {
	n := now.In(loc)
	t := time.Date(n.Year(), n.Month(), n.Day(), at.Hour, at.Minute, 0, 0, loc)
	if !t.After(n) {
		t = time.Date(n.Year(), n.Month(), n.Day()+1, at.Hour, at.Minute, 0, 0, loc)
	}
	return t
}

// arm (re)starts subscriber's alarm at its next hh:mm.
func (s *Service) arm(sub string, at Clock) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.alarms[sub]; old != nil {
		old.timer.Stop()
	}
	a := &alarm{at: at}
	a.timer = s.clock.AfterFunc(Next(s.clock.Now(), at, s.loc).Sub(s.clock.Now()), func() { s.fire(sub, a) })
	s.alarms[sub] = a
}

func (s *Service) disarm(sub string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.alarms[sub]; a != nil {
		a.timer.Stop()
		delete(s.alarms, sub)
	}
}

// fire makes one try of alarm a (if it is still sub's).
func (s *Service) fire(sub string, a *alarm) {
	s.mu.Lock()
	ctx := s.ctx
	if s.alarms[sub] != a || ctx == nil || ctx.Err() != nil || s.ring == nil {
		s.mu.Unlock()
		return
	}
	a.tries++
	try := a.tries
	s.mu.Unlock()
	s.log.Info("wake-up call", "subscriber", sub, "try", try)
	s.ring(ctx, sub, func(answered bool) { s.rang(ctx, sub, a, answered) })
}

// rang takes the outcome of a try: answered or out of tries, the alarm is
// over; else it is tried again after the interval.
func (s *Service) rang(ctx context.Context, sub string, a *alarm, answered bool) {
	s.mu.Lock()
	if s.alarms[sub] != a {
		s.mu.Unlock()
		return // cancelled or set anew meanwhile
	}
	if !answered && a.tries <= s.cfg.Retries && ctx.Err() == nil {
		s.log.Info("wake-up call not answered; trying again", "subscriber", sub, "try", a.tries, "in", s.cfg.RetryInterval)
		a.timer = s.clock.AfterFunc(s.cfg.RetryInterval, func() { s.fire(sub, a) })
		s.mu.Unlock()
		return
	}
	if ctx.Err() != nil {
		s.mu.Unlock()
		return // shutting down: the alarm stays stored, armed again at the next start
	}
	delete(s.alarms, sub)
	s.mu.Unlock()
	s.log.Info("wake-up alarm over", "subscriber", sub, "answered", answered, "tries", a.tries)
	if err := s.st.Delete(ctx, sub); err != nil {
		s.log.Warn("wake-up: clear the alarm", "subscriber", sub, "error", err)
	}
}

// RingNow rings subscriber's armed alarm at once, as if its time had come
// (an operator's test call; the feature scenarios, whose PBX runs on the
// wall clock); false when none is armed.
func (s *Service) RingNow(subscriber string) bool {
	s.mu.Lock()
	a := s.alarms[subscriber]
	if a != nil {
		a.timer.Stop()
	}
	s.mu.Unlock()
	if a == nil {
		return false
	}
	go s.fire(subscriber, a)
	return true
}
