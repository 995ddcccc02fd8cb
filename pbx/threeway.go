package pbx

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media"
	"pbxlab/pbx/internal/services/switches"
	"pbxlab/pbx/internal/services/threeway"
)

// The three-party call and the ad-hoc conference (policy:
// pbx/internal/services/threeway). The mechanism is the one a phone needs
// no support for (RFC 5359 §2.18's result, Asterisk's atxferthreeway):
//
//  1. A talks to B (either called the other), puts B on hold with the
//     phone's hold button and calls C: two answered calls, each anchored
//     on the media server.
//  2. In the call with C, A keys the in-call code (*3, RFC 4733 DTMF: the
//     PBX listens on every anchored leg of an answered call).
//  3. The PBX makes itself the far end of B's, C's and A's consultation
//     legs (media.TerminateLeg), seats them in a new ad-hoc conference
//     room (N−1 mixing, join and leave tones) and re-INVITEs each with its
//     own sendrecv offer — B is taken off hold that way — and ends A's
//     held dialog with B (BYE, Reason: the call was merged): A's phone
//     keeps one call, the conference.
//
// Each leg lives on its own from then on (call.Detach): a party's BYE
// ends only its leg, and each call ends, its CDR written, with its last
// leg. When one party leaves, the others stay; when one is left alone its
// call is ended. The host's hang-up leaves B and C talking
// (services.three_party.on_host_hangup: stay, the default) or ends the
// conference (end). A party that holds the conference is muted in the
// mix until it resumes (it hears nothing meanwhile): it may call D and
// key *3 there to add D (a full room refuses with the busy tone and
// nothing changes).
//
// Refusals are tones to the party who keyed the code, on the call it
// keyed it in, which goes on unchanged: the error tone when the service is
// switched off for it or it has no other call; the busy tone when the
// room is full. Without the media server (media.enabled false) the PBX
// hears no DTMF: the keys reach the far phone and nothing happens.

// threewayRefusalTone is how long a refusal tone plays.
const threewayRefusalTone = 3 * time.Second

// threewayCalls holds the answered legs the code may come from or merge
// and the ad-hoc conferences.
type threewayCalls struct {
	svc *threeway.Service

	mu     sync.Mutex
	seq    uint64
	legs   map[*call.Leg]*twLeg
	byCall map[string][]*twLeg // by call ID
}

// twLeg is one answered leg of a call: the party on it, and its
// conference once merged.
type twLeg struct {
	c     *call.Call
	leg   *call.Leg
	party string
	seq   uint64 // answer order

	// guarded by threewayCalls.mu
	conf   *twConf
	member *media.Member
	ended  bool
}

// initThreeway builds the three-party service (services.three_party)
// with the service switches.
func (s *Server) initThreeway(sw *switches.Set) error {
	svc, err := threeway.New(s.cfg.Services.ThreeParty, sw)
	if err != nil {
		return fmt.Errorf("services.three_party: %w", err)
	}
	s.threeway = &threewayCalls{svc: svc, legs: map[*call.Leg]*twLeg{}, byCall: map[string][]*twLeg{}}
	return nil
}

// threewayAnswered (Policy.OnAnswer, on the call's executor) listens for
// the code on both anchored legs of an answered two-party call.
func (s *Server) threewayAnswered(a call.Answered) {
	tw := s.threeway
	if tw == nil || !s.media.Enabled() {
		return
	}
	c := a.Call
	x := c.Caller()
	y := x.Other()
	if y == nil {
		return // answered by a service (a room, voicemail)
	}
	for _, l := range []*call.Leg{x, y} {
		ep := s.media.Endpoint(c, l)
		if ep == nil {
			continue // media phone to phone: no DTMF reaches the PBX
		}
		tw.mu.Lock()
		tw.seq++
		tl := &twLeg{c: c, leg: l, party: c.Party(l), seq: tw.seq}
		tw.legs[l] = tl
		tw.byCall[c.ID()] = append(tw.byCall[c.ID()], tl)
		tw.mu.Unlock()
		var mu sync.Mutex
		m := tw.svc.NewMatcher()
		ep.AddReceiver(media.NewDTMFReceiver(func(d byte) {
			mu.Lock()
			hit := m.Key(d, s.clock.Now())
			mu.Unlock()
			if hit {
				c.Do(func() { s.threewayCode(tl) })
			}
		}, s.clock.Now))
	}
}

// threewayEnded (Policy.OnHangup) forgets the legs of a call that is over;
// those still in a conference leave it.
func (s *Server) threewayEnded(e call.Ended) {
	tw := s.threeway
	if tw == nil {
		return
	}
	tw.mu.Lock()
	legs := tw.byCall[e.Record.CallID]
	delete(tw.byCall, e.Record.CallID)
	for _, tl := range legs {
		delete(tw.legs, tl.leg)
	}
	tw.mu.Unlock()
	for _, tl := range legs {
		s.twLeave(tl, false)
	}
}

// threewayCode runs on the executor of the call whose leg x keyed the
// code: merge x's call with x's party's other call.
func (s *Server) threewayCode(x *twLeg) {
	tw := s.threeway
	host := x.party
	log := x.c.Log().With("component", "three-party", "host", host)
	refuse := func(kind media.ToneKind, err error) {
		log.Info("three-party call refused", "error", err)
		if ep := s.media.Endpoint(x.c, x.leg); ep != nil {
			if _, perr := s.media.PlayTone(ep, kind, threewayRefusalTone, nil); perr != nil {
				log.Debug("three-party: refusal tone", "error", perr)
			}
		}
	}
	if err := tw.svc.Allow(host); err != nil {
		refuse(media.ToneError, err)
		return
	}
	y := x.leg.Other()
	tw.mu.Lock()
	inConf := x.conf != nil || x.ended
	tw.mu.Unlock()
	var yl *twLeg
	if y != nil {
		yl = s.twLegOf(x.c, y)
	}
	if inConf || yl == nil || !x.leg.Up() || !y.Up() {
		log.Debug("three-party code outside a two-party call: ignored")
		return
	}
	held, conf, extending, err := s.twReserve(x, yl)
	if err != nil {
		kind := media.ToneError
		if errors.Is(err, threeway.ErrFull) {
			kind = media.ToneBusy
		}
		refuse(kind, err)
		return
	}
	log.Info("three-party call: merging", "with", held.c.ID(), "adding", yl.party, "parties", s.twLen(conf))
	s.twMove(conf, x)
	s.twMove(conf, yl)
	held.c.Do(func() { s.twMergeHeld(conf, held, extending) })
}

// twReserve finds the host's other call (one already in a conference
// first, else the latest answered), checks the seats and marks x and y
// as the conference's, all under the lock.
func (s *Server) twReserve(x, y *twLeg) (held *twLeg, conf *twConf, extending bool, err error) {
	tw := s.threeway
	tw.mu.Lock()
	defer tw.mu.Unlock()
	for _, tl := range tw.legs {
		if tl.party != x.party || tl.c == x.c || tl.ended {
			continue
		}
		switch {
		case held == nil,
			tl.conf != nil && held.conf == nil,
			(tl.conf != nil) == (held.conf != nil) && tl.seq > held.seq:
			held = tl
		}
	}
	if held == nil {
		return nil, nil, false, fmt.Errorf("three-party call by %s: %w", x.party, threeway.ErrNoHeldCall)
	}
	conf = held.conf
	extending = conf != nil
	now, leaving := 0, 0
	if conf != nil {
		now, leaving = len(conf.members), 1
	}
	if err := tw.svc.Seats(now, leaving, 2); err != nil {
		return nil, nil, false, fmt.Errorf("three-party call by %s: %w", x.party, err)
	}
	if conf == nil {
		conf = s.newTwConf(x.party)
		held.conf = conf // its partner moves, it ends (twMergeHeld)
	}
	x.conf, y.conf = conf, conf
	return held, conf, extending, nil
}

// twLen is the number of parties in conf.
func (s *Server) twLen(conf *twConf) int {
	s.threeway.mu.Lock()
	defer s.threeway.mu.Unlock()
	return len(conf.members)
}

// twLegOf is the record of leg l of call c, made now if the PBX did not
// listen on it (its media was not anchored when it was answered). Call it
// on c's executor.
func (s *Server) twLegOf(c *call.Call, l *call.Leg) *twLeg {
	tw := s.threeway
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tl := tw.legs[l]; tl != nil {
		return tl
	}
	tw.seq++
	tl := &twLeg{c: c, leg: l, party: c.Party(l), seq: tw.seq}
	tw.legs[l] = tl
	tw.byCall[c.ID()] = append(tw.byCall[c.ID()], tl)
	return tl
}
