package config

import (
	"fmt"
	"time"
)

// SessionTimers are the RFC 4028 session-timer settings of a leg: the
// global default (sip.session_timers) and an override per subscriber
// (subscribers[].session_timers, for the legs to and from the subscriber)
// and per outbound peer (peers[].session_timers). In an override a zero
// field takes the global value.
type SessionTimers struct {
	// Expires is the session interval the PBX asks for in the INVITEs it
	// sends (Session-Expires, RFC 4028 §7.1) and gives a caller that asks
	// for none (the PBX then refreshes, §9). 0 = the PBX asks for no
	// session timer; it still honours one a peer asks for. When set, at
	// least MinSE. Default 0.
	Expires time.Duration `yaml:"expires" unit:"s"`
	// MinSE is the smallest session interval the PBX accepts: a request
	// asking for less gets 422 Session Interval Too Small with this Min-SE
	// (RFC 4028 §8.1, §9); it is sent as Min-SE on the PBX's INVITEs. At
	// least 90 s (RFC 4028 §4). Default 90.
	MinSE time.Duration `yaml:"min_se" unit:"s"`
	// Refresher is who refreshes the session when the PBX may choose:
	// auto (the peer when it supports timers and asked to, else the PBX),
	// pbx or peer (a peer without "Supported: timer" cannot refresh: the
	// PBX does). Default auto.
	Refresher Refresher `yaml:"refresher"`
}

// Refresher is SessionTimers.Refresher.
type Refresher string

// Refresher values.
const (
	RefresherAuto Refresher = "auto"
	RefresherPBX  Refresher = "pbx"
	RefresherPeer Refresher = "peer"
)

// MinSessionInterval is RFC 4028 §4's floor for Min-SE.
const MinSessionInterval = 90 * time.Second

// maxSessionInterval bounds Session-Expires (a 32-bit delta-seconds).
const maxSessionInterval = (1<<32 - 1) * time.Second

func defaultSessionTimers() SessionTimers {
	return SessionTimers{MinSE: MinSessionInterval, Refresher: RefresherAuto}
}

// Over returns s with the non-zero fields of override.
func (s SessionTimers) Over(override SessionTimers) SessionTimers {
	if override.Expires != 0 {
		s.Expires = override.Expires
	}
	if override.MinSE != 0 {
		s.MinSE = override.MinSE
	}
	if override.Refresher != "" {
		s.Refresher = override.Refresher
	}
	return s
}

// sessionTimers checks a session_timers block at path; global says it is
// sip.session_timers (no field may be left zero but expires).
func (v *validator) sessionTimers(path string, s SessionTimers, global bool) {
	if s.Expires < 0 || s.Expires > maxSessionInterval {
		v.errorf(path+".expires", "must be 0 (off) or 90 to 4294967295 seconds, got %s", seconds(s.Expires))
	} else if s.Expires != 0 && s.Expires < MinSessionInterval {
		v.errorf(path+".expires", "must be 0 (off) or at least %s (RFC 4028 §4), got %s", seconds(MinSessionInterval), seconds(s.Expires))
	}
	if (global || s.MinSE != 0) && (s.MinSE < MinSessionInterval || s.MinSE > maxSessionInterval) {
		v.errorf(path+".min_se", "must be at least %s (RFC 4028 §4), got %s", seconds(MinSessionInterval), seconds(s.MinSE))
	}
	switch s.Refresher {
	case RefresherAuto, RefresherPBX, RefresherPeer:
	case "":
		if global {
			v.errorf(path+".refresher", "is required (auto, pbx or peer)")
		}
	default:
		v.errorf(path+".refresher", "unknown refresher %q (want auto, pbx or peer)", s.Refresher)
	}
}

// sessionTimersAll checks the global block, each override, and that each
// effective interval is not below its effective Min-SE.
func (v *validator) sessionTimersAll() {
	g := v.c.SIP.SessionTimers
	v.sessionTimers("sip.session_timers", g, true)
	check := func(path string, eff SessionTimers) {
		if eff.Expires >= MinSessionInterval && eff.MinSE >= MinSessionInterval && eff.Expires < eff.MinSE {
			v.errorf(v.inSource(path+".expires", path), "expires (%s) must not be below min_se (%s)", seconds(eff.Expires), seconds(eff.MinSE))
		}
	}
	check("sip.session_timers", g)
	for i, s := range v.c.ExplicitSubscribers {
		p := fmt.Sprintf("subscribers[%d].session_timers", i)
		v.sessionTimers(p, s.SessionTimers, false)
		check(p, g.Over(s.SessionTimers))
	}
	for i, p := range v.c.Peers {
		path := fmt.Sprintf("peers[%d].session_timers", i)
		v.sessionTimers(path, p.SessionTimers, false)
		check(path, g.Over(p.SessionTimers))
	}
}
