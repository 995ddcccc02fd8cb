// Package threeway is the three-party call and the ad-hoc conference
// (RFC 5359 §2.18 in spirit; the codes are project defaults): A talks to
// B, puts B on hold (the phone's hold), calls C and, in that
// consultation call, keys the in-call code *3 (RFC 4733 DTMF). The PBX
// then moves B, C and A onto an ad-hoc conference room of its media
// server: each hears the two others. Nothing is needed from the phone but
// hold, a second call and DTMF.
//
// A party of a conference adds another the same way: it holds the
// conference, calls D, keys *3: D joins (a full room refuses: busy tone,
// nothing changes). The policy lives here (who may, how many seats, what
// the host's hang-up does, the code); the calls and the media are the
// PBX's (pbx/threeway.go).
package threeway

import (
	"fmt"
	"time"
)

// Name is the service's switch name (srv-switch three_party on|off).
const Name = "three_party"

// Switches answers whether a service is on for a number (switches.Set).
type Switches interface {
	On(service, number string) bool
}

// Service is the three-party call policy.
type Service struct {
	cfg Config
	sw  Switches
}

// New builds the service of a checked configuration; sw may be nil
// (every host may).
func New(cfg Config, sw Switches) (*Service, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("three-party call: %w", ps[0])
	}
	return &Service{cfg: cfg.withDefaults(), sw: sw}, nil
}

// Name implements services.Service.
func (s *Service) Name() string { return Name }

// Code is the in-call code.
func (s *Service) Code() string { return s.cfg.Code }

// MaxParties is the seats of an ad-hoc conference.
func (s *Service) MaxParties() int { return s.cfg.MaxParties }

// EndsWithHost reports whether the conference ends when its host hangs up.
func (s *Service) EndsWithHost() bool { return s.cfg.OnHostHangup == HostLeavesEnd }

// Allow checks that host may merge: the switch is on for it.
func (s *Service) Allow(host string) error {
	if s.sw != nil && !s.sw.On(Name, host) {
		return fmt.Errorf("three-party call by %s: %w", host, ErrSwitchedOff)
	}
	return nil
}

// Seats checks that a conference of now parties, from which leaving
// leave and to which adding come, fits: ErrFull otherwise.
func (s *Service) Seats(now, leaving, adding int) error {
	if n := now - leaving + adding; n > s.cfg.MaxParties {
		return fmt.Errorf("%d parties of %d seats: %w", n, s.cfg.MaxParties, ErrFull)
	}
	return nil
}

// NewMatcher returns a matcher of the service's code for one leg.
func (s *Service) NewMatcher() *Matcher { return NewMatcher(s.cfg.Code, s.cfg.DigitTimeout) }

// Matcher spots the in-call code in the DTMF keys of one leg: the code's
// keys in a row, none more than the timeout after the one before. Keys
// before and after it do not matter (a phone's own menu keys). Not safe
// for concurrent use.
type Matcher struct {
	code    string
	timeout time.Duration
	got     []byte
	last    time.Time
}

// NewMatcher returns a matcher of code.
func NewMatcher(code string, timeout time.Duration) *Matcher {
	return &Matcher{code: code, timeout: timeout, got: make([]byte, 0, len(code))}
}

// Key takes one key at time now and reports whether it completed the
// code.
func (m *Matcher) Key(k byte, now time.Time) bool {
	if m.code == "" {
		return false
	}
	if len(m.got) > 0 && m.timeout > 0 && now.Sub(m.last) > m.timeout {
		m.got = m.got[:0]
	}
	m.last = now
	m.got = append(m.got, k)
	if len(m.got) > len(m.code) {
		m.got = append(m.got[:0], m.got[len(m.got)-len(m.code):]...)
	}
	// the longest tail that is a start of the code stays
	for len(m.got) > 0 && string(m.got) != m.code[:len(m.got)] {
		m.got = append(m.got[:0], m.got[1:]...)
	}
	if string(m.got) == m.code {
		m.got = m.got[:0]
		return true
	}
	return false
}
