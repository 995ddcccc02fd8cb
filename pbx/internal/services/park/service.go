// Package park is call park's lot: the slots, who may retrieve a parked
// call, and each slot's timeout. A subscriber in a call parks the other
// party by a blind transfer (RFC 3515 REFER) to *6 — what Asterisk's
// parking lot and FreeSWITCH's valet_park users do from their phones'
// transfer key; the PBX takes the call out of the parker's hands, plays
// the parked party music on hold and tells the parker the slot. Anyone
// with the right dials *6*<slot># to talk to the parked party. The call
// side (the re-INVITEs, the music, the announcement, joining the
// retriever) is the PBX's, pbx/park.go.
package park

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"pbxlab/internal/clock"
)

// Parked is a call in a slot.
type Parked struct {
	// ID tells this parking from a later one in the same slot.
	ID uint64
	// Slot is where the call is parked (1 to Config.Slots).
	Slot int
	// Parker parked the call; Parkee is the party waiting.
	Parker, Parkee string
	// Since is when the call was parked.
	Since time.Time
}

type entry struct {
	p     Parked
	timer clock.Timer
}

// Service is the lot. It is safe for concurrent use.
type Service struct {
	slots   int
	timeout time.Duration
	right   map[string]bool
	clock   clock.Clock
	log     *slog.Logger

	mu     sync.Mutex
	lot    map[int]*entry
	nextID uint64
}

// Option configures the service.
type Option func(*Service)

// WithClock sets the clock of the slots' timeouts (the PBX's: virtual
// time in tests).
func WithClock(c clock.Clock) Option { return func(s *Service) { s.clock = c } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// New builds the lot from cfg.
func New(cfg Config, opts ...Option) (*Service, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("park: %w: %w", ErrConfig, ps[0])
	}
	s := &Service{slots: cfg.slots(), timeout: cfg.timeout(), clock: clock.New(), log: slog.New(slog.DiscardHandler), lot: map[int]*entry{}}
	if len(cfg.Right) > 0 {
		s.right = map[string]bool{}
		for _, n := range cfg.Right {
			s.right[n] = true
		}
	}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Name is the service's srv-switch name.
func (s *Service) Name() string { return "park" }

// Timeout is how long a call stays parked.
func (s *Service) Timeout() time.Duration { return s.timeout }

// Park puts parkee's call in the lowest free slot; expire runs (on the
// clock's goroutine, once) if the call is still there after the timeout,
// the slot already free.
// ErrFull when every slot is taken.
func (s *Service) Park(parker, parkee string, expire func(Parked)) (Parked, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for slot := 1; slot <= s.slots; slot++ {
		if _, taken := s.lot[slot]; taken {
			continue
		}
		s.nextID++
		e := &entry{p: Parked{ID: s.nextID, Slot: slot, Parker: parker, Parkee: parkee, Since: s.clock.Now()}}
		s.lot[slot] = e
		e.timer = s.clock.AfterFunc(s.timeout, func() {
			if p, ok := s.take(slot, e.p.ID); ok && expire != nil {
				s.log.Info("park timeout", "slot", slot, "parker", parker, "parkee", parkee)
				expire(p)
			}
		})
		return e.p, nil
	}
	return Parked{}, fmt.Errorf("park %s for %s: %w", parkee, parker, ErrFull)
}

// Retrieve takes the call parked at slot for by: ErrEmpty when there is
// none, ErrNoRight when by may not take it (the call stays parked).
func (s *Service) Retrieve(slot int, by string) (Parked, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.lot[slot]
	if !ok {
		return Parked{}, fmt.Errorf("park slot %d: %w", slot, ErrEmpty)
	}
	if s.right != nil && !s.right[by] && by != e.p.Parker {
		return Parked{}, fmt.Errorf("park slot %d by %s: %w", slot, by, ErrNoRight)
	}
	e.timer.Stop()
	delete(s.lot, slot)
	return e.p, nil
}

// Leave frees the slot of parking id (the parked party hung up); false
// when it was no longer parked.
func (s *Service) Leave(slot int, id uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.lot[slot]
	if !ok || e.p.ID != id {
		return false
	}
	e.timer.Stop()
	delete(s.lot, slot)
	return true
}

// take removes parking id from slot (its timeout).
func (s *Service) take(slot int, id uint64) (Parked, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.lot[slot]
	if !ok || e.p.ID != id {
		return Parked{}, false
	}
	delete(s.lot, slot)
	return e.p, true
}

// List returns the parked calls by slot.
func (s *Service) List() []Parked {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Parked, 0, len(s.lot))
	for _, e := range s.lot {
		out = append(out, e.p)
	}
	slices.SortFunc(out, func(a, b Parked) int { return a.Slot - b.Slot })
	return out
}
