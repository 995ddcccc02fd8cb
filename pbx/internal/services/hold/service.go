// Package hold is the hold service's policy: per subscriber, whether a
// hold (a re-INVITE offering a=sendonly, a=inactive or c=0.0.0.0, RFC 3264
// §8.4 and RFC 2543) is relayed end to end or taken by the PBX, which then
// answers the holder's re-INVITE itself and plays music on hold to the
// held party without re-INVITEing it (the manual's Call Services chapters
// on hold are unread: project default, as RFC 5359 §2.1 and Asterisk's
// moh / FreeSWITCH's hold_music users expect). Holding and retrieving is
// done by the call layer and the media server (pbx/hold.go,
// pbx/internal/media/hold_local.go); this package only decides.
//
// Precedence: the srv-switch hold (off: relay), then
// services.hold.subscribers, then services.hold.default (relay).
package hold

import (
	"fmt"
)

// Name is the service's switch name.
const Name = "hold"

// Switches is the manual's srv-switch: whether a service is on for a
// number (pbx/internal/services/switches).
type Switches interface {
	On(service, number string) bool
}

// Service is the hold policy.
type Service struct {
	cfg Config
	sw  Switches
}

// New builds the service of a checked configuration; sw may be nil (every
// subscriber switched on).
func New(cfg Config, sw Switches) (*Service, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("hold: %w", ps[0])
	}
	return &Service{cfg: cfg, sw: sw}, nil
}

// Name implements services.Service.
func (s *Service) Name() string { return Name }

// Mode is how subscriber's holds are carried out: ModeRelay when the hold
// service is switched off for it, else its configured mode. A number that
// is not a subscriber ("" or a trunk's caller) is relayed.
func (s *Service) Mode(subscriber string) Mode {
	if subscriber == "" {
		return ModeRelay
	}
	if s.sw != nil && !s.sw.On(Name, subscriber) {
		return ModeRelay
	}
	return s.cfg.mode(subscriber)
}

// ByPBX reports whether the PBX takes subscriber's holds itself.
func (s *Service) ByPBX(subscriber string) bool { return s.Mode(subscriber) == ModePBX }

// Anchors reports whether a call between caller and callee must have its
// media anchored for the hold service: either party's holds are taken by
// the PBX, which then plays the music.
func (s *Service) Anchors(caller, callee string) bool { return s.ByPBX(caller) || s.ByPBX(callee) }
