// Package callback is call back on busy (CCBS; RFC 5359's automatic
// callback as Asterisk's CCSS does it): A calls B, B is busy; A dials
// *37# (or *37*B#) and hangs up; when B's call ends the PBX is to call A
// and, once A answers, B. #37# cancels. A request waits at most
// Config.Timeout; a caller has one request (a new one replaces it); the
// requests on one busy number are served in the order they were made.
//
// This package is the policy and the queue: the codes (at the chain's
// Dialled point), who found whom busy (the PBX's, Directory), which
// requests are due when a number becomes free, their timeouts on the
// PBX's clock. Placing the callback is the PBX's (pbx/callback.go).
package callback

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
const Name = "callback"

// Directory is what the service asks the PBX.
type Directory interface {
	// LastBusy is the number caller last found busy (a subscriber that
	// answered busy or has do not disturb on).
	LastBusy(caller string) (string, bool)
	// IsSubscriber reports whether number is a subscriber's.
	IsSubscriber(number string) bool
}

// Request is one caller's wait for a busy number.
type Request struct {
	ID             uint64
	Caller, Callee string
	Since          time.Time
}

type entry struct {
	r     Request
	timer clock.Timer
}

// Service is call back on busy. It is safe for concurrent use.
type Service struct {
	dir     Directory
	timeout time.Duration
	clock   clock.Clock
	log     *slog.Logger
	expired func(Request)

	mu       sync.Mutex
	byCaller map[string]*entry
	nextID   uint64
}

// Option configures the service.
type Option func(*Service)

// WithClock sets the clock of the requests' timeouts.
func WithClock(c clock.Clock) Option { return func(s *Service) { s.clock = c } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithExpired sets what runs when a request times out (on the clock's
// goroutine).
func WithExpired(f func(Request)) Option { return func(s *Service) { s.expired = f } }

// New builds the service from cfg.
func New(cfg Config, dir Directory, opts ...Option) (*Service, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("callback: %w: %w", ErrConfig, ps[0])
	}
	s := &Service{dir: dir, timeout: cfg.timeout(), clock: clock.New(), log: slog.New(slog.DiscardHandler), byCaller: map[string]*entry{}}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Name implements services.Service.
func (s *Service) Name() string { return Name }

// Claims implements services.Codes.
func (s *Service) Claims(dialled string) bool { return Parse(dialled).Op != None }

// Dialled implements services.Dialled: the codes. *37# without a busy
// number 404, from a caller who is no subscriber 403, for a number that
// is none 404, for oneself 403, malformed 484, #37# without a request
// 404; else a feature (confirmation tone) that files or cancels.
func (s *Service) Dialled(_ context.Context, c *services.Call) (services.Verdict, error) {
	code := Parse(c.Dialled)
	switch {
	case code.Op == None:
		return services.Verdict{}, nil
	case !c.Subscriber:
		return services.Refusal(403, "Forbidden", fmt.Errorf("callback code from %q: %w", c.Caller, sipx.ErrForbidden)), nil
	case code.Op == Malformed:
		return services.Refusal(484, "Address Incomplete", fmt.Errorf("%q: %w", c.Dialled, ErrMalformed)), nil
	}
	caller := c.Caller
	if code.Op == Cancel {
		if _, ok := s.Pending(caller); !ok {
			return services.Refusal(404, "Not Found", fmt.Errorf("cancel by %s: %w", caller, ErrNoRequest)), nil
		}
		return services.Verdict{Kind: services.Feature, Apply: func(context.Context) error {
			s.Cancel(caller)
			return nil
		}}, nil
	}
	callee := code.Number
	if code.Op == Last {
		n, ok := s.dir.LastBusy(caller)
		if !ok {
			return services.Refusal(404, "Not Found", fmt.Errorf("callback for %s: %w", caller, ErrNoBusy)), nil
		}
		callee = n
	}
	switch {
	case callee == caller:
		return services.Refusal(403, "Forbidden", fmt.Errorf("callback for %s: %w", caller, ErrSelf)), nil
	case !s.dir.IsSubscriber(callee):
		return services.Refusal(404, "Not Found", fmt.Errorf("callback from %s: %w", callee, ErrNotSubscriber)), nil
	}
	return services.Verdict{Kind: services.Feature, Apply: func(context.Context) error {
		s.Add(caller, callee)
		return nil
	}}, nil
}

// Add files caller's request to be called back when callee is free; it
// replaces the caller's earlier one.
func (s *Service) Add(caller, callee string) Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.byCaller[caller]; ok {
		old.timer.Stop()
	}
	s.nextID++
	e := &entry{r: Request{ID: s.nextID, Caller: caller, Callee: callee, Since: s.clock.Now()}}
	s.byCaller[caller] = e
	e.timer = s.clock.AfterFunc(s.timeout, func() {
		if s.Done(caller, e.r.ID) {
			s.log.Info("callback request expired", "caller", caller, "callee", callee)
			if s.expired != nil {
				s.expired(e.r)
			}
		}
	})
	s.log.Info("callback requested", "caller", caller, "callee", callee)
	return e.r
}

// Cancel drops caller's request; false when it had none.
func (s *Service) Cancel(caller string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byCaller[caller]
	if ok {
		e.timer.Stop()
		delete(s.byCaller, caller)
	}
	return ok
}

// Pending is caller's request.
func (s *Service) Pending(caller string) (Request, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byCaller[caller]
	if !ok {
		return Request{}, false
	}
	return e.r, true
}

// Due lists the requests waiting for callee, oldest first: the PBX calls
// them back in that order when callee is free. They stay filed until
// Done (a caller found busy again waits on).
func (s *Service) Due(callee string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, e := range s.byCaller {
		if e.r.Callee == callee {
			out = append(out, e.r)
		}
	}
	slices.SortFunc(out, func(a, b Request) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return int(a.ID) - int(b.ID)
	})
	return out
}

// Done removes request id of caller (called back, or expired); false
// when it is no longer filed.
func (s *Service) Done(caller string, id uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byCaller[caller]
	if !ok || e.r.ID != id {
		return false
	}
	e.timer.Stop()
	delete(s.byCaller, caller)
	return true
}
