package pbx

import (
	"errors"
	"fmt"
	"strings"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media"
	"pbxlab/pbx/internal/sipx"
)

// The conference bridge: the rooms of conferences[] by number. Dialling a
// room's number is a ToService decision: the PBX answers the call itself
// (media.Server.Terminate gives the caller's leg an endpoint of its own and
// the PBX's SDP answer), seats the endpoint in the room and answers 200.
// When the call ends, its endpoint closes and the room lets the member go
// at its next tick (the others hear the leave tone). A full room, or the
// media server switched off, answers 486 Busy Here.
//
// Rooms exist from the start and cost nothing while empty (a room's
// goroutine runs only while it has members).

// conferenceTonePlan is the tone plan of the join and leave tones until
// the configuration names one (media.tone_plan).
const conferenceTonePlan = "us"

// initConferences builds the rooms of the configuration.
func (s *Server) initConferences() error {
	s.rooms = map[string]*media.Room{}
	if len(s.cfg.Conferences) == 0 {
		return nil
	}
	plan, err := media.TonePlanByName(conferenceTonePlan)
	if err != nil {
		return fmt.Errorf("conferences: %w", err)
	}
	join, leave, err := media.ConferenceTones(plan)
	if err != nil {
		return fmt.Errorf("conferences: %w", err)
	}
	log := s.log.With("component", "conference")
	for _, c := range s.cfg.Conferences {
		s.rooms[c.Number] = media.NewRoom(media.RoomConfig{Name: c.Number, MaxParties: c.MaxParties, JoinTone: join, LeaveTone: leave},
			media.WithRoomClock(s.clock), media.WithRoomLogger(log))
	}
	return nil
}

// closeConferences stops every room (after the calls: no member is left).
func (s *Server) closeConferences() error {
	var errs []error
	for _, r := range s.rooms {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}

// conferenceRoute is number analysis for the rooms: a dialled room number
// hands the call to the bridge.
func (s *Server) conferenceRoute(in call.Incoming) (call.Decision, bool) {
	room, ok := s.rooms[in.Dialled]
	if !ok {
		return call.Decision{}, false
	}
	conf, _ := s.cfg.Conference(in.Dialled)
	var offer []byte
	if in.Request != nil {
		offer = sdpOf(in.Request)
	}
	return call.Decision{Kind: call.ToService, Callee: in.Dialled, Service: func(c *call.Call) {
		s.joinConference(c, room, conf, offer)
	}}, true
}

// joinConference runs on the call's executor: answer the caller with the
// PBX's own media and seat it in the room (after its PIN, if the room has
// one).
func (s *Server) joinConference(c *call.Call, room *media.Room, conf config.Conference, offer []byte) {
	leg := c.Caller()
	if err := s.media.Require(); err != nil {
		c.Reject(err)
		return
	}
	if room.Full() {
		c.Reject(roomFull(room, media.ErrRoomFull))
		return
	}
	ep, answer, err := s.media.Terminate(c, leg, offer)
	if err != nil {
		c.Reject(err)
		return
	}
	onAck := func(ack *sip.Request) {
		if len(offer) == 0 {
			if err := s.media.TerminateAnswer(c, leg, sdpOf(ack)); err != nil {
				c.Log().Warn("conference: late-offer answer", "room", room.Name(), "error", err)
				c.Hangup("conference: " + err.Error())
			}
		}
	}
	// the media timeout of a call whose far end is the room
	idle := media.OnIdle(s.cfg.Media.Timeout, func() {
		c.Do(func() {
			c.Log().Info("media timeout", "room", room.Name())
			c.Hangup(media.ReasonTimeout)
		})
	})
	if conf.PIN != "" {
		if err := c.Answer(leg, answer, onAck); err != nil {
			c.Log().Warn("conference: answer", "room", room.Name(), "error", err)
			return
		}
		media.AwaitPIN(ep, conf.PIN, s.clock, func(ok bool) {
			if !ok {
				c.Do(func() { c.Hangup("conference: wrong PIN") })
				return
			}
			if _, err := room.Join(ep, idle); err != nil {
				c.Do(func() { c.Hangup("conference: " + err.Error()) })
			}
		})
		return
	}
	m, err := room.Join(ep, idle)
	if err != nil {
		c.Reject(roomFull(room, err))
		return
	}
	if err := c.Answer(leg, answer, onAck); err != nil {
		m.Leave()
		c.Log().Warn("conference: answer", "room", room.Name(), "error", err)
	}
}

// roomFull is the caller's answer when the room has no seat: 486.
func roomFull(room *media.Room, err error) error {
	if !errors.Is(err, media.ErrRoomFull) {
		return err
	}
	return &sipx.StatusError{Code: 486, Reason: "Busy Here", Err: fmt.Errorf("conference %s: %w", room.Name(), err)}
}

// sdpOf is the SDP body of a message, nil when it carries none.
func sdpOf(m sip.Message) []byte {
	if m == nil || len(m.Body()) == 0 {
		return nil
	}
	if hs := m.GetHeaders("Content-Type"); len(hs) > 0 {
		mt, _, _ := strings.Cut(hs[0].Value(), ";")
		if !strings.EqualFold(strings.TrimSpace(mt), "application/sdp") {
			return nil
		}
	}
	return m.Body()
}
