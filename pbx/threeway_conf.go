package pbx

import (
	"slices"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/media"
)

// twConf is one ad-hoc conference: its room and its parties.
type twConf struct {
	room *media.Room
	host string // the party who merged it
	// members, guarded by threewayCalls.mu
	members []*twLeg
}

// newTwConf makes the room of a new conference (threewayCalls.mu held).
// The service counts the seats (Seats); the room has one more, for the
// adding party's held leg while the newcomers sit down.
func (s *Server) newTwConf(host string) *twConf {
	cfg := media.RoomConfig{Name: "three-party " + host, MaxParties: s.threeway.svc.MaxParties() + 1}
	if plan, err := media.TonePlanByName(conferenceTonePlan); err == nil {
		cfg.JoinTone, cfg.LeaveTone, _ = media.ConferenceTones(plan)
	}
	room := media.NewRoom(cfg, media.WithRoomClock(s.clock), media.WithRoomLogger(s.log.With("component", "three-party")))
	return &twConf{room: room, host: host}
}

// mergedReason is the Reason of the BYE that ends the host's held dialog
// (RFC 3326): the call goes on in the conference.
var mergedReason = sip.NewHeader("Reason", `SIP ;cause=200 ;text="Merged into a three-party call"`)

// twMove runs on tl's call's executor: tl's leg is detached from its
// bridge, the media server becomes its far end, it takes a seat in the
// room and is re-INVITEd with the PBX's offer. A leg that cannot be moved
// is ended (and leaves the conference).
func (s *Server) twMove(conf *twConf, tl *twLeg) {
	c, l := tl.c, tl.leg
	log := c.Log().With("component", "three-party", "party", tl.party)
	fail := func(what string, err error) {
		log.Warn("three-party: "+what, "error", err)
		s.twLeave(tl, true)
	}
	if err := c.Detach(l, func() { s.twLeave(tl, false) }); err != nil {
		fail("detach", err)
		return
	}
	ep, offer, err := s.media.TerminateLeg(c, l)
	if err != nil {
		fail("media", err)
		return
	}
	// the media timeout of a leg whose far end is the room
	idle := media.OnIdle(s.cfg.Media.Timeout, func() {
		c.Do(func() {
			log.Info("media timeout")
			s.twLeave(tl, true)
		})
	})
	m, err := conf.room.Join(ep, media.MuteOnHold(), idle)
	if err != nil {
		fail("join", err)
		return
	}
	tw := s.threeway
	tw.mu.Lock()
	tl.conf, tl.member = conf, m
	gone := tl.ended
	if !gone {
		conf.members = append(conf.members, tl)
	}
	tw.mu.Unlock()
	if gone {
		m.Leave()
		return
	}
	c.Reoffer(l, offer, func(answer []byte, err error) {
		if err == nil {
			err = s.media.TerminateAnswer(c, l, answer)
		}
		if err != nil {
			fail("re-INVITE", err)
		}
	})
}

// twMergeHeld runs on the executor of the host's held call: a two-party
// call's other party moves into the conference; the host's held leg is
// ended either way (it leaves the conference it was in when extending).
func (s *Server) twMergeHeld(conf *twConf, held *twLeg, extending bool) {
	tw := s.threeway
	if !extending {
		if y := held.leg.Other(); y != nil && y.Up() {
			yl := s.twLegOf(held.c, y)
			tw.mu.Lock()
			yl.conf = conf
			tw.mu.Unlock()
			s.twMove(conf, yl)
		}
		tw.mu.Lock()
		held.ended = true
		tw.mu.Unlock()
		if err := held.c.Detach(held.leg, nil); err == nil {
			held.c.EndWith(held.leg, mergedReason)
		}
		s.twCheck(conf)
		return
	}
	s.twLeave(held, true)
}

// twLeave takes tl out of its conference (once); endIt ends its leg too
// (on its call's executor). The conference then ends its last party (one
// alone), or every party when its host left and on_host_hangup is end;
// an empty room closes.
func (s *Server) twLeave(tl *twLeg, endIt bool) {
	tw := s.threeway
	tw.mu.Lock()
	if tl.ended {
		tw.mu.Unlock()
		return
	}
	tl.ended = true
	conf, m := tl.conf, tl.member
	if conf != nil {
		conf.members = slices.DeleteFunc(conf.members, func(x *twLeg) bool { return x == tl })
	}
	tw.mu.Unlock()
	if m != nil {
		m.Leave()
	}
	if endIt {
		tl.c.Do(func() { tl.c.End(tl.leg) })
	}
	if conf == nil {
		return
	}
	if tl.party == conf.host && s.threeway.svc.EndsWithHost() {
		s.twEndAll(conf, "the host left")
		return
	}
	s.twCheck(conf)
}

// twCheck ends a conference left with one party, closes an empty one.
func (s *Server) twCheck(conf *twConf) {
	tw := s.threeway
	tw.mu.Lock()
	n := len(conf.members)
	tw.mu.Unlock()
	switch {
	case n == 1:
		s.twEndAll(conf, "alone in the conference")
	case n == 0:
		go conf.room.Close() //nolint:errcheck // Close of a room never fails
	}
}

// twEndAll ends every party of conf and closes its room.
func (s *Server) twEndAll(conf *twConf, why string) {
	tw := s.threeway
	tw.mu.Lock()
	left := conf.members
	conf.members = nil
	for _, x := range left {
		x.ended = true
	}
	tw.mu.Unlock()
	for _, x := range left {
		x.c.Log().Info("three-party: conference over", "party", x.party, "why", why)
		if x.member != nil {
			x.member.Leave()
		}
		x.c.Do(func() { x.c.End(x.leg) })
	}
	go conf.room.Close() //nolint:errcheck // Close of a room never fails
}
