package media

import (
	"errors"
	"fmt"

	"pbxlab/pbx/internal/call"
)

// Recording records an anchored call: the audio each of its legs sends is
// decoded and mixed into one mono 8 kHz 16-bit stream (both directions,
// as a listener on the line hears them) and written to a Sink, usually a
// WAVWriter. Mono was chosen over one channel per party because the
// project's WAV writer and reader are mono and a mix is what a playback
// of the conversation needs; the parties stay apart by what they say.
//
// It is a Room without tones whose members are taps on the legs'
// endpoints (their RTP keeps flowing to each other untouched) and whose
// one listener is the sink, so it shares the room's 20 ms tick: the file
// runs in real time, silences and all, from Record to Stop.
type Recording struct {
	room *Room
	sink Sink
}

// Record starts recording call c into sink: every leg of the call's
// current bridge that has an endpoint is tapped. ErrNotAnchored when none
// has (a call whose media flows phone to phone). Call it on the call's
// executor (Policy.OnAnswer); the recording runs until Stop.
func (s *Server) Record(c *call.Call, sink Sink, opts ...RoomOption) (*Recording, error) {
	var eps []*Endpoint
	if b := c.Bridge(); b != nil {
		for _, l := range b.Legs() {
			if ep := s.Endpoint(c, l); ep != nil {
				eps = append(eps, ep)
			}
		}
	}
	if len(eps) == 0 {
		return nil, fmt.Errorf("record call %s: %w", c.ID(), ErrNotAnchored)
	}
	opts = append([]RoomOption{WithRoomClock(s.clock), WithRoomLogger(s.log)}, opts...)
	rec := &Recording{room: NewRoom(RoomConfig{Name: "record " + c.ID()}, opts...), sink: sink}
	for _, ep := range eps {
		if _, err := rec.room.Tap(ep); err != nil {
			return nil, errors.Join(fmt.Errorf("record call %s: %w", c.ID(), err), rec.room.Close())
		}
	}
	if _, err := rec.room.AddSink("recorder", sink); err != nil {
		return nil, errors.Join(fmt.Errorf("record call %s: %w", c.ID(), err), rec.room.Close())
	}
	return rec, nil
}

// Stop ends the recording: the taps are removed and nothing more reaches
// the sink (the caller closes it). Idempotent.
func (r *Recording) Stop() error { return r.room.Close() }
