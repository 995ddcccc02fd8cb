package pbx

import (
	"errors"
	"fmt"
	"strconv"
	"sync"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media"
	"pbxlab/pbx/internal/services/park"
	"pbxlab/pbx/internal/sipx"
)

// Call park (policy and lot in pbx/internal/services/park; switch "park").
//
// Parking: a subscriber in a call transfers the other party blind (RFC
// 3515 REFER, RFC 5589 §6) to *6 — the way Asterisk's parking lot and
// FreeSWITCH's valet_park are used from a phone's transfer key. The PBX
// takes the lowest free slot, re-INVITEs the parked party with the media
// server's own SDP (call.Rehome) and plays it music on hold; then it
// re-INVITEs the parker likewise, speaks the slot number to it (the
// digit prompts, "digit-1" …), NOTIFYs it "SIP/2.0 200 OK" (the sipfrag's
// reason phrase says "Parked at <slot>") and sends it BYE. The parked
// call's record is closed ("parked by <parker> at slot <n>") and a new one
// opened for the parked party (callee *6*<slot>). The parker is no longer
// in a call (call waiting, callback see it free).
//
// Refusals, in the REFER's NOTIFY (the parker stays in its call): park
// switched off for the parker 403, media server off 486 (the manual:
// services that need the media server fail), every slot taken 486, the
// parked party refusing the re-INVITE 500 (the call then ends: its media
// has already left the parker).
//
// Retrieval: *6*<slot># from any subscriber (services.park.right limits
// it; the parker may always take its own back). The PBX answers the
// retriever with its own media, stops the music and joins the two in a
// two-party room of the media server; either hanging up ends the other.
// An empty slot: 404 (the vacant-number prompt first), no right 403, a
// malformed code 484, *6 dialled as a call of its own 403 (nothing to
// park), the media server off 486.
//
// Timeout (services.park.timeout, default 120 s, the PBX's clock): the
// call leaves its slot and the PBX rings the parker back (Asterisk's
// comebacktoorigin), showing the parked party's number, the parked party
// hearing the music meanwhile; the parker answers: the two talk (record
// reason "park timeout: back to <parker>"); the parker does not answer
// (the no-answer timer) or is busy: the parked call is hung up (record
// reason "park timeout").
//
// The parked party hanging up frees its slot; its record is written as
// for any call.

// parking is the PBX's side of the lot: the parked calls by parking ID.
type parking struct {
	lot *park.Service
	mu  sync.Mutex
	by  map[uint64]*parkedCall
}

// parkedCall is a call waiting in a slot.
type parkedCall struct {
	p    park.Parked
	c    *call.Call
	leg  *call.Leg
	ep   *media.Endpoint
	moh  *media.Player
	took chan struct{} // closed when retrieved
}

// initPark builds the lot.
func (s *Server) initPark() error {
	lot, err := park.New(s.cfg.Services.Park, park.WithClock(s.clock), park.WithLogger(s.log.With("component", "park")))
	if err != nil {
		return fmt.Errorf("services.park: %w", err)
	}
	s.parking = &parking{lot: lot, by: map[uint64]*parkedCall{}}
	return nil
}

// parkTransfer takes a REFER whose target is the park code; false for
// any other target. It runs on the call's executor.
func (s *Server) parkTransfer(c *call.Call, from, stay *call.Leg, t referTarget, n *referNotifier) bool {
	if t.replaces != nil || s.parking == nil || park.Parse(t.number).Op != park.Park {
		return false
	}
	parker, parkee := c.Party(from), c.Party(stay)
	refuse := func(code int, reason string, err error) bool {
		c.Log().Info("park refused", "parker", parker, "status", code, "error", err)
		n.send(code, reason, true, nil)
		return true
	}
	if !s.svc.SwitchedOn("park", parker) {
		return refuse(403, "Forbidden", fmt.Errorf("park by %s: %w", parker, sipx.ErrForbidden))
	}
	if err := s.media.Require(); err != nil {
		return refuse(486, "Busy Here", err)
	}
	pc := &parkedCall{c: c, leg: stay, took: make(chan struct{})}
	p, err := s.parking.lot.Park(parker, parkee, func(p park.Parked) { s.parkExpired(p) })
	if err != nil {
		return refuse(486, "Busy Here", err)
	}
	pc.p = p
	fail := func(err error) {
		s.parking.lot.Leave(p.Slot, p.ID)
		c.Log().Warn("park failed", "slot", p.Slot, "error", err)
		n.send(500, "Server Internal Error", true, nil)
		hangupOnce(c, "park failed")
	}
	ep, offer, err := s.media.Terminate(c, stay, nil)
	if err != nil {
		fail(err)
		return true
	}
	pc.ep = ep
	c.Rehome(stay, offer, true, func(answer []byte, err error) {
		if err == nil {
			err = s.media.TerminateAnswer(c, stay, answer)
		}
		if err != nil {
			fail(err)
			return
		}
		if src := s.media.MusicOnHold(); src != nil { // media.moh.off: silence
			pc.moh = s.media.Pacer().Play(ep, src, nil)
		}
		s.parking.mu.Lock()
		s.parking.by[p.ID] = pc
		s.parking.mu.Unlock()
		go s.watchParked(pc)
		c.Rebill(stay, parkee, "*6*"+strconv.Itoa(p.Slot), fmt.Sprintf("parked by %s at slot %d", parker, p.Slot))
		s.lines.leave(c.ID(), parker)
		c.Log().Info("parked", "slot", p.Slot, "parker", parker, "parkee", parkee)
		s.announceSlot(c, from, p.Slot, func() {
			n.send(200, "Parked at "+strconv.Itoa(p.Slot), true, func() { c.End(from) })
		})
	})
	return true
}

// announceSlot speaks the slot to the parker's leg (the PBX its far end,
// out of every bridge: its BYE ends only its leg), then runs then; any
// failure skips the announcement.
func (s *Server) announceSlot(c *call.Call, l *call.Leg, slot int, then func()) {
	ep, offer, err := s.media.Terminate(c, l, nil)
	if err != nil {
		c.Log().Debug("park: no announcement", "error", err)
		then()
		return
	}
	c.Rehome(l, offer, false, func(answer []byte, err error) {
		if err == nil {
			err = s.media.TerminateAnswer(c, l, answer)
		}
		if err == nil {
			_, err = s.media.PlayMedia(ep, park.Digits(slot, media.PromptDigitPrefix), func(error) { c.Do(then) })
		}
		if err != nil {
			c.Log().Debug("park: no announcement", "error", err)
			then()
		}
	})
}

// watchParked frees the slot when the parked call ends (the parked party
// hung up, the timeout) unless it was retrieved first.
func (s *Server) watchParked(pc *parkedCall) {
	select {
	case <-pc.took:
		return
	case <-pc.c.Done():
	}
	s.parking.lot.Leave(pc.p.Slot, pc.p.ID)
	s.parking.mu.Lock()
	delete(s.parking.by, pc.p.ID)
	s.parking.mu.Unlock()
	pc.c.Log().Info("parked call ended", "slot", pc.p.Slot)
}

// parkExpired takes a call parked too long out of its slot and rings
// the parker back (park_comeback.go).
func (s *Server) parkExpired(p park.Parked) {
	s.parking.mu.Lock()
	pc := s.parking.by[p.ID]
	delete(s.parking.by, p.ID)
	s.parking.mu.Unlock()
	if pc == nil {
		return
	}
	close(pc.took)
	go s.parkComeback(pc)
}

// routePark takes the park codes dialled as a call: *6*<slot># retrieves,
// *6 alone has nothing to park; ok is false for any other number.
func (s *Server) routePark(in call.Incoming) (call.Decision, bool) {
	code := park.Parse(in.Dialled)
	if code.Op == park.None || s.parking == nil {
		return call.Decision{}, false
	}
	by := in.Caller.Number
	reject := func(code int, reason string, err error) (call.Decision, bool) {
		s.log.Info("park retrieval refused", "by", by, "dialled", in.Dialled, "status", code, "error", err)
		return call.Decision{Kind: call.Reject, Callee: in.Dialled, Err: &sipx.StatusError{Code: code, Reason: reason, Err: err}}, true
	}
	if _, sub := s.subscriber(by); !sub || in.Caller.Trusted || !s.svc.SwitchedOn("park", by) {
		return reject(403, "Forbidden", fmt.Errorf("park code by %q: %w", by, sipx.ErrForbidden))
	}
	switch code.Op {
	case park.Malformed:
		return reject(484, "Address Incomplete", fmt.Errorf("park code %q: %w", in.Dialled, park.ErrMalformed))
	case park.Park:
		return reject(403, "Forbidden", fmt.Errorf("park by %s: %w", by, park.ErrNotTransfer))
	}
	if err := s.media.Require(); err != nil {
		return call.Decision{Kind: call.Reject, Callee: in.Dialled, Err: err}, true
	}
	p, err := s.parking.lot.Retrieve(code.Slot, by)
	switch {
	case errors.Is(err, park.ErrEmpty):
		return reject(404, "Not Found", err)
	case err != nil:
		return reject(403, "Forbidden", err)
	}
	s.parking.mu.Lock()
	pc := s.parking.by[p.ID]
	delete(s.parking.by, p.ID)
	s.parking.mu.Unlock()
	if pc == nil { // parked, but its re-INVITE not done yet
		return reject(480, "Temporarily Unavailable", fmt.Errorf("park slot %d: %w", p.Slot, park.ErrEmpty))
	}
	close(pc.took)
	s.log.Info("park retrieval", "slot", p.Slot, "by", by, "parkee", p.Parkee)
	return call.Decision{Kind: call.ToService, Callee: in.Dialled, Service: func(c *call.Call) {
		s.retrieveParked(c, pc, by)
	}}, true
}

// retrieveParked runs on the retriever's call c: answer it with the PBX's
// media, stop the parked party's music, join the two.
func (s *Server) retrieveParked(c *call.Call, pc *parkedCall, by string) {
	epC, ansC, err := s.media.Terminate(c, c.Caller(), c.Offer())
	if err != nil {
		c.Reject(err)
		pc.c.Do(func() { hangupOnce(pc.c, "park: the retriever could not be answered") })
		return
	}
	if err := c.Answer(c.Caller(), ansC, s.lateAnswer(c, c.Caller())); err != nil {
		c.Log().Warn("park: answer the retriever", "error", err)
		pc.c.Do(func() { hangupOnce(pc.c, "park: the retriever could not be answered") })
		return
	}
	pc.c.Do(func() {
		pc.stopMusic()
		pc.c.Rebill(pc.leg, pc.p.Parkee, by, fmt.Sprintf("retrieved from slot %d by %s", pc.p.Slot, by))
		s.joinParked(c, pc, epC, by)
	})
}

// joinParked puts the parked party's and the retriever's endpoints in a
// two-party room; either call ending ends the other and the room.
func (s *Server) joinParked(c *call.Call, pc *parkedCall, epC *media.Endpoint, by string) {
	room := media.NewRoom(media.RoomConfig{Name: "park " + strconv.Itoa(pc.p.Slot), MaxParties: 2},
		media.WithRoomClock(s.clock), media.WithRoomLogger(s.log), media.WithRoomAGC(false))
	for _, ep := range []*media.Endpoint{pc.ep, epC} {
		if _, err := room.Join(ep); err != nil {
			c.Log().Warn("park: join", "error", err)
		}
	}
	k := pc.c
	go func() {
		select {
		case <-c.Done():
			k.Do(func() { hangupOnce(k, "park: "+by+" hung up") })
		case <-k.Done():
			c.Do(func() { hangupOnce(c, "park: the parked party hung up") })
		}
		if err := room.Close(); err != nil {
			s.log.Debug("park: close room", "error", err)
		}
	}()
}

// leave takes number out of the call id (a parker whose call went on
// without it).
func (l *lines) leave(id, number string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byCall[id].del(number) {
		if l.count[number]--; l.count[number] <= 0 {
			delete(l.count, number)
		}
	}
}

// stopMusic stops the parked party's music on hold, if any.
func (pc *parkedCall) stopMusic() {
	if pc.moh != nil {
		pc.moh.Stop()
	}
}
