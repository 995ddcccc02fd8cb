// Package notification is group notification (the manual's Call
// Services ch. 23): at a notification's time the PBX rings all its
// receivers; one who answers hears the stored media file; one who does
// not is called again after the retry interval, at most max_tries (10)
// times; one who hangs up during the playback counts as having received
// it. In local mode a receiver replays the file by dialling the access
// code; in remote mode the deliverer dials the access code and speaks
// live to every receiver, and the deliverer's hang-up ends it for all.
// Anonymous callers may receive but not use the access code. The calls
// themselves are the PBX's (pbx/notification.go, pbx/originate.go); this
// package holds the configuration, the schedule and the tries. See
// README.md for the choices made where the manual is silent.
package notification

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

// Name is the service's switch name.
const Name = "notification"

// Ringer calls receiver for notification n once and plays its file; done
// gets whether the receiver answered (called once, from any goroutine).
type Ringer func(ctx context.Context, n Notification, receiver string, done func(answered bool))

// Service is group notification.
type Service struct {
	cfg   Config
	clock clock.Clock
	log   *slog.Logger
	ring  Ringer
	loc   *time.Location

	mu     sync.Mutex
	ctx    context.Context
	timers map[string]clock.Timer // next delivery, by notification name
	rounds map[string]*round      // the latest delivery, by notification name
}

// round is one delivery of a notification: each receiver's tries.
type round struct {
	n     Notification
	gen   int
	state map[string]*Receipt
}

// Receipt is how a delivery stands for one receiver.
type Receipt struct {
	Tries    int  // calls made
	Received bool // answered (heard the file, or hung up while it played)
	Pending  bool // a call or a retry is still to come
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock of the schedule and the retries.
func WithClock(c clock.Clock) Option { return func(s *Service) { s.clock = c } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithRinger sets how the PBX calls a receiver.
func WithRinger(r Ringer) Option { return func(s *Service) { s.ring = r } }

// New builds the service of a checked configuration.
func New(cfg Config, opts ...Option) (*Service, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("group notification: %w", ps[0])
	}
	s := &Service{cfg: cfg.withDefaults(), clock: clock.New(), log: slog.New(slog.DiscardHandler),
		timers: map[string]clock.Timer{}, rounds: map[string]*round{}}
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

// ByCode returns the notification whose access code is dialled.
func (s *Service) ByCode(dialled string) (Notification, bool) {
	d := services.NormaliseCode(dialled)
	for _, n := range s.cfg.Notifications {
		if n.AccessCode != "" && n.AccessCode == d {
			return n, true
		}
	}
	return Notification{}, false
}

// Access decides whether caller may use n's access code: an anonymous
// caller never (403), in local mode a receiver, in remote mode the
// deliverer (else 403).
func (s *Service) Access(n Notification, caller string, anonymous bool) services.Verdict {
	switch {
	case anonymous:
		return services.Refusal(403, "Forbidden", fmt.Errorf("notification %s from %q: %w", n.Name, caller, ErrAnonymous))
	case n.Mode == Remote && caller != n.Deliverer, n.Mode != Remote && !slices.Contains(n.Receivers, caller):
		return services.Refusal(403, "Forbidden", fmt.Errorf("notification %s from %q: %w: %w", n.Name, caller, ErrNotReceiver, sipx.ErrForbidden))
	}
	return services.Verdict{}
}

// Next is n's next delivery strictly after now (ok false: a dated one
// that is over, or a remote one, which its deliverer starts).
func Next(n Notification, now time.Time, loc *time.Location) (time.Time, bool) {
	if n.At == "" || n.Mode == Remote {
		return time.Time{}, false
	}
	c, err := ParseClock(n.At)
	if err != nil {
		return time.Time{}, false
	}
	now = now.In(loc)
	if n.Date != "" {
		d, err := time.ParseInLocation(time.DateOnly, n.Date, loc)
		if err != nil {
			return time.Time{}, false
		}
		t := time.Date(d.Year(), d.Month(), d.Day(), c.Hour, c.Minute, 0, 0, loc)
		return t, t.After(now)
	}
	t := time.Date(now.Year(), now.Month(), now.Day(), c.Hour, c.Minute, 0, 0, loc)
	if !t.After(now) {
		t = t.AddDate(0, 0, 1)
	}
	return t, true
}

// Run arms every notification's next delivery until ctx ends; then every
// timer stops.
func (s *Service) Run(ctx context.Context) error {
	s.mu.Lock()
	s.ctx = ctx
	s.mu.Unlock()
	for _, n := range s.cfg.Notifications {
		s.schedule(n)
	}
	<-ctx.Done()
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, t := range s.timers {
		t.Stop()
		delete(s.timers, name)
	}
	return nil
}

func (s *Service) schedule(n Notification) {
	now := s.clock.Now()
	at, ok := Next(n, now, s.loc)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil || s.ctx.Err() != nil {
		return
	}
	s.timers[n.Name] = s.clock.AfterFunc(at.Sub(now), func() {
		s.Deliver(n.Name)
		s.schedule(n) // a daily one: the next day
	})
	s.log.Debug("notification scheduled", "notification", n.Name, "at", at)
}

// Deliver starts a delivery of the named notification now: every
// receiver rings (a delivery still in progress is replaced). It reports
// whether the notification exists.
func (s *Service) Deliver(name string) bool {
	i := slices.IndexFunc(s.cfg.Notifications, func(n Notification) bool { return n.Name == name })
	if i < 0 {
		return false
	}
	n := s.cfg.Notifications[i]
	s.mu.Lock()
	ctx := s.ctx
	gen := 1
	if old := s.rounds[name]; old != nil {
		gen = old.gen + 1
	}
	r := &round{n: n, gen: gen, state: map[string]*Receipt{}}
	for _, rcv := range n.Receivers {
		r.state[rcv] = &Receipt{Pending: true}
	}
	s.rounds[name] = r
	s.mu.Unlock()
	if ctx == nil {
		return true
	}
	s.log.Info("notification delivered", "notification", name, "receivers", len(n.Receivers))
	for _, rcv := range n.Receivers {
		s.try(ctx, r, rcv)
	}
	return true
}

// try calls receiver once for round r.
func (s *Service) try(ctx context.Context, r *round, receiver string) {
	s.mu.Lock()
	st := r.state[receiver]
	if s.rounds[r.n.Name] != r || !st.Pending || ctx.Err() != nil || s.ring == nil {
		s.mu.Unlock()
		return
	}
	st.Tries++
	s.mu.Unlock()
	s.ring(ctx, r.n, receiver, func(answered bool) { s.rang(ctx, r, receiver, answered) })
}

// rang takes a try's outcome: received, or retried after the interval
// while tries are left.
func (s *Service) rang(ctx context.Context, r *round, receiver string, answered bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := r.state[receiver]
	switch {
	case answered:
		st.Received, st.Pending = true, false
		s.log.Info("notification received", "notification", r.n.Name, "receiver", receiver, "tries", st.Tries)
	case st.Tries >= r.n.MaxTries, ctx.Err() != nil:
		st.Pending = false
		s.log.Info("notification not received; no tries left", "notification", r.n.Name, "receiver", receiver, "tries", st.Tries)
	default:
		s.log.Info("notification not answered; trying again", "notification", r.n.Name, "receiver", receiver, "tries", st.Tries, "in", r.n.RetryInterval)
		s.clock.AfterFunc(r.n.RetryInterval, func() { s.try(ctx, r, receiver) })
	}
}

// Status returns the latest delivery of the named notification: receiver
// -> receipt (nil: never delivered).
func (s *Service) Status(name string) map[string]Receipt {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rounds[name]
	if r == nil {
		return nil
	}
	out := make(map[string]Receipt, len(r.state))
	for k, v := range r.state {
		out[k] = *v
	}
	return out
}

// End ends the latest delivery of the named notification: no receiver is
// called again (a remote one whose deliverer hung up).
func (s *Service) End(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.rounds[name]; r != nil {
		for _, st := range r.state {
			st.Pending = false
		}
	}
}
