// Package presence is the busy lamp field's policy (RFC 4235, the dialog
// event package): who may watch whose line. The subscription itself (the
// SUBSCRIBE, the NOTIFYs, refresh and expiry) is the PBX's subscription
// manager (pbx/internal/subscription, shared with MWI), and the line state
// the PBX's (pbx/presence.go: the calls a subscriber is in, ringing or
// talking). Project default (the manual is silent): every subscriber of
// the PBX may watch every other; services.presence.watchers restricts a
// watched number to the subscribers listed (403 for any other), and the
// switch presence (srv-switch presence off for the WATCHER) refuses the
// watcher's subscriptions with 403.
package presence

import (
	"errors"
	"fmt"
	"slices"
)

// Name is the service's switch name.
const Name = "presence"

// ErrNotAllowed: the watcher has no right to watch the number (403).
var ErrNotAllowed = errors.New("not allowed to watch")

// ErrSwitchedOff: presence is switched off for the watcher (403).
var ErrSwitchedOff = errors.New("presence switched off")

// Switches answers whether a service is on for a number (switches.Set).
type Switches interface {
	On(service, number string) bool
}

// Service is the presence policy.
type Service struct {
	cfg Config
	sw  Switches
}

// New builds the service of a checked configuration; sw may be nil (on
// for everyone).
func New(cfg Config, sw Switches) (*Service, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("presence: %w", ps[0])
	}
	return &Service{cfg: cfg, sw: sw}, nil
}

// Name implements services.Service.
func (s *Service) Name() string { return Name }

// MayWatch reports (nil) whether watcher, a subscriber, may watch the
// line of watched, a subscriber: ErrSwitchedOff or ErrNotAllowed
// otherwise (wrapped).
func (s *Service) MayWatch(watcher, watched string) error {
	if s.sw != nil && !s.sw.On(Name, watcher) {
		return fmt.Errorf("%s watching %s: %w", watcher, watched, ErrSwitchedOff)
	}
	if allowed, ok := s.cfg.Watchers[watched]; ok && watcher != watched && !slices.Contains(allowed, watcher) {
		return fmt.Errorf("%s watching %s: %w", watcher, watched, ErrNotAllowed)
	}
	return nil
}
