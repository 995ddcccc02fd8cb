package media

import (
	"fmt"

	"pbxlab/internal/sdpneg"
	"pbxlab/pbx/internal/call"
)

// Holds taken by the PBX (the hold service's "pbx" mode, pbx/hold.go). A
// relayed hold (hold.go) re-offers the held party sendonly; here instead
// the PBX answers the holder's re-offer itself — the direction mirrored:
// recvonly to sendonly, inactive to inactive or c=0.0.0.0 — and the held
// party's leg is never re-INVITEd: its session stays sendrecv, its
// endpoint's relayed audio is overridden by the music on hold (silence
// with media.moh off), so it never hears the holder, and the holder is
// sent nothing. The holder's resume (a re-offer that receives again) is
// answered the same way: the music stops and the two legs are relayed both
// ways again, still without a re-INVITE to the held party. While the hold
// stands, a re-offer of the held party (a session refresh) is answered by
// the PBX too: nothing crosses to the holder.

// WithHold tells the media server, at a re-offer that puts a call on hold,
// whether the PBX takes the hold of the party on leg l itself (true) or
// relays it (false, the default).
func WithHold(f func(c *call.Call, l *call.Leg) bool) Option { return func(s *Server) { s.hold = f } }

// HoldLocally implements call.LocalHolder.
func (m *seam) HoldLocally(from, to *call.Leg, offer []byte) ([]byte, bool, error) {
	return m.a.holdLocally(from, to, offer)
}

// holdLocally answers from's re-offer when the PBX takes (or has taken)
// the hold: ok false relays it.
func (a *anchor) holdLocally(from, to *call.Leg, body []byte) ([]byte, bool, error) {
	if a.s.svc == nil || a.s.hold == nil || !a.relayed() {
		return nil, false, nil
	}
	in, err := parseLeg(body)
	if err != nil || in.rejected() {
		return nil, false, nil // relayed: the relay's own checks answer it
	}
	f, t := a.state(from), a.state(to)
	if f.ep == nil || t.ep == nil || f.peer != t || t.peer != f || f.ours == nil || f.theyOffered || f.weOffered {
		return nil, false, nil
	}
	dir := in.dir()
	switch {
	case f.holding, t.holding:
	case holding(dir) && a.s.hold(a.c, from):
	default:
		return nil, false, nil
	}
	codecs, err := answerCodecs(in.sess.Codecs, f.ours.codecs)
	if err != nil {
		return nil, true, fmt.Errorf("hold by %s: %w", from.ID(), err)
	}
	o := &ourSDP{addr: f.ours.addr, codecs: codecs, dir: sdpneg.Mirror(dir), ptime: in.sess.PTime, layout: in.layout, audio: in.audio}
	if err := f.send(o); err != nil {
		return nil, true, fmt.Errorf("hold by %s: %w", from.ID(), err)
	}
	f.theirs = in
	f.apply()
	f.ep.Rearm()
	switch {
	case t.holding:
		// the held party's re-offer: answered, the music goes on
	case holding(dir) && !f.holding:
		f.holding = true
		a.holdMusic(t, true)
		a.s.log.Debug("hold taken by the PBX", "call_id", a.c.ID(), "held", to.ID(), "by", from.ID())
	case !holding(dir) && f.holding:
		f.holding = false
		a.holdMusic(t, false)
		t.ep.Rearm()
		a.s.log.Debug("resume taken by the PBX", "call_id", a.c.ID(), "leg", to.ID(), "by", from.ID())
	}
	return f.raw, true, nil
}

// holdMusic starts (on) or stops the music on hold to t (silence when
// music on hold is off).
func (a *anchor) holdMusic(t *legState, on bool) {
	switch {
	case on && t.moh == nil && a.s.svc.moh != nil:
		t.moh = a.s.svc.pacer.Play(t.ep, a.s.svc.moh(), nil)
	case on:
		t.ep.SetOverride(true)
	case t.moh != nil:
		t.moh.Stop()
		t.moh = nil
	default:
		t.ep.SetOverride(false)
	}
}
