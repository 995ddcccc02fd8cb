package pbx

import (
	"fmt"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/services/hold"
)

// Hold and retrieve (pbx/internal/services/hold decides, the media server
// carries it out: pbx/internal/media/hold_local.go). A subscriber whose
// hold mode is relay (the default, or the hold service switched off for
// it) has its hold re-INVITE relayed end to end: the held party is
// re-INVITEd, and hears the music on hold when the call is anchored
// (media/hold.go). A subscriber whose mode is pbx has the PBX answer its
// hold re-INVITE (sendonly, inactive, c=0.0.0.0) with the direction
// mirrored; the held party is not re-INVITEd and hears the music on hold;
// the retrieve (sendrecv) is answered by the PBX too and restores two-way
// audio. A call with such a party is anchored (mediaMode), so that the PBX
// can play the music. With the media server off every hold is relayed.

// holdService builds the hold policy on the service switches.
func (s *Server) holdService(sw hold.Switches) error {
	h, err := hold.New(s.cfg.Services.Hold, sw)
	if err != nil {
		return fmt.Errorf("services.hold: %w", err)
	}
	s.hold = h
	return nil
}

// holdByPBX is the media server's question (media.WithHold): does the PBX
// take the hold of the party on leg l of c itself?
func (s *Server) holdByPBX(c *call.Call, l *call.Leg) bool {
	if s.hold == nil {
		return false
	}
	by := c.Party(l)
	pbx := s.hold.ByPBX(by)
	c.Log().Debug("hold", "leg", l.ID(), "by", by, "mode", s.hold.Mode(by))
	return pbx
}

// holdAnchors reports whether c's media must be anchored because a party
// of it has its holds taken by the PBX.
func (s *Server) holdAnchors(c *call.Call) bool {
	return s.hold != nil && s.hold.Anchors(c.CallerNumber(), c.CalleeNumber())
}
