package media

import (
	"fmt"
	"net/netip"

	"pbxlab/internal/sdpneg"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/sipx"
)

// Terminate makes the media server the far end of leg l of call c — the
// PBX answers the call itself (a conference room, later an IVR or
// voicemail) — and returns the leg's endpoint and the SDP to send it.
//
// With the leg's offer (the INVITE's SDP) the SDP returned is the PBX's
// answer: one G.711 law, the offerer's first of PCMU and PCMA, and
// telephone-event if offered; the direction mirrors the offer's. Without
// an offer (a late-offer INVITE) it is the PBX's offer (PCMU, PCMA,
// telephone-event) and the leg's answer, from its ACK, goes to
// TerminateAnswer.
//
// The endpoint belongs to the call's anchor: it is released when the call
// ends, like the endpoints of a relayed call. Call it on the call's
// executor (a Decision.Service). Errors: the media server is off (a 486
// status error, see Require), the offer is unusable (ErrBadSDP) or has no
// G.711 (ErrNoCodec, a 488 status error), no port is left (503).
func (s *Server) Terminate(c *call.Call, l *call.Leg, offer []byte) (*Endpoint, []byte, error) {
	if err := s.Require(); err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	a := s.anchors[c]
	s.mu.Unlock()
	if a == nil {
		return nil, nil, fmt.Errorf("terminate leg %s: %w", l.ID(), ErrNotAnchored)
	}
	a.mode = config.AnchorRelay // the PBX is the far end: there is nothing to pass through to
	st := a.state(l)
	st.terminal = true
	a.unrelay(l, st)
	if len(offer) == 0 {
		if err := a.ensureEndpoint(st, l.Local().Addr); err != nil {
			return nil, nil, err
		}
		o := &ourSDP{addr: a.advertised(st), codecs: []sdpneg.Codec{sdpneg.PCMU(), sdpneg.PCMA(), sdpneg.TelephoneEvent()}, dir: sdpneg.SendRecv}
		if err := st.send(o); err != nil {
			return nil, nil, fmt.Errorf("terminate leg %s: %w", l.ID(), err)
		}
		st.weOffered = true
		st.apply()
		return st.ep, st.raw, nil
	}
	in, err := parseLeg(offer)
	if err != nil {
		return nil, nil, fmt.Errorf("terminate leg %s: %w", l.ID(), err)
	}
	if in.rejected() {
		return nil, nil, fmt.Errorf("terminate leg %s: %w: audio declined", l.ID(), ErrBadSDP)
	}
	codecs, err := terminalCodecs(in.sess.Codecs)
	if err != nil {
		return nil, nil, &sipx.StatusError{Code: 488, Reason: "Not Acceptable Here", Err: fmt.Errorf("terminate leg %s: %w", l.ID(), err)}
	}
	if err := a.ensureEndpoint(st, in.addr()); err != nil {
		return nil, nil, err
	}
	if st.raw != nil && st.theirs != nil && !st.theyOffered && !st.weOffered && terminalCodecsOf(st.ours) {
		// the leg already has the PBX's answer to this offer (early media
		// of a callee that then failed: voicemail): a dialog's answer
		// never changes, the 200 repeats it
		st.apply()
		st.ep.Rearm()
		return st.ep, st.raw, nil
	}
	st.theirs, st.theyOffered = in, false
	o := &ourSDP{addr: a.advertised(st), codecs: codecs, dir: sdpneg.Mirror(in.dir()), ptime: in.sess.PTime, layout: in.layout, audio: in.audio}
	if err := st.send(o); err != nil {
		return nil, nil, fmt.Errorf("terminate leg %s: %w", l.ID(), err)
	}
	st.apply()
	st.ep.Rearm()
	return st.ep, st.raw, nil
}

// TerminateAnswer takes the leg's answer to the offer Terminate made for
// a late-offer INVITE (the SDP of its ACK).
func (s *Server) TerminateAnswer(c *call.Call, l *call.Leg, answer []byte) error {
	s.mu.Lock()
	a := s.anchors[c]
	s.mu.Unlock()
	if a == nil {
		return fmt.Errorf("terminate leg %s: %w", l.ID(), ErrNotAnchored)
	}
	a.mu.Lock()
	st := a.legs[l]
	a.mu.Unlock()
	if st == nil || st.ep == nil || !st.weOffered {
		return fmt.Errorf("terminate leg %s: %w: no offer of the PBX to answer", l.ID(), ErrBadSDP)
	}
	in, err := parseLeg(answer)
	if err != nil {
		return fmt.Errorf("terminate leg %s: %w", l.ID(), err)
	}
	if _, err := terminalCodecs(in.sess.Codecs); err != nil && !in.rejected() {
		return fmt.Errorf("terminate leg %s: %w", l.ID(), err)
	}
	st.theirs, st.weOffered = in, false
	st.apply()
	st.ep.Rearm()
	return nil
}

// terminalCodecs is the PBX's own answer to offered: the offerer's first
// G.711 law (the room and the players speak only G.711) and its
// telephone-event, if any.
func terminalCodecs(offered []sdpneg.Codec) ([]sdpneg.Codec, error) {
	var out []sdpneg.Codec
	for _, c := range offered {
		if id := idOf(c); id == codecPCMU || id == codecPCMA {
			out = append(out, c)
			break
		}
	}
	if len(out) == 0 {
		return nil, ErrNoCodec
	}
	for _, c := range offered {
		if idOf(c) == codecEvent {
			out = append(out, c)
			break
		}
	}
	return out, nil
}

var _ call.LocalMedia = (*seam)(nil)

// terminalState is the state of leg l if the PBX is its far end.
func (a *anchor) terminalState(l *call.Leg) *legState {
	a.mu.Lock()
	defer a.mu.Unlock()
	if st := a.legs[l]; st != nil && st.terminal && st.ep != nil {
		return st
	}
	return nil
}

// Terminates implements call.LocalMedia: Terminate made the PBX l's far
// end.
func (m *seam) Terminates(l *call.Leg) bool { return m.a.terminalState(l) != nil }

// LocalAnswer implements call.LocalMedia: a new offer from a leg the PBX
// terminates (hold, resume, a session refresh) is answered as Terminate
// answered the first one, on the same endpoint.
func (m *seam) LocalAnswer(l *call.Leg, offer []byte) ([]byte, error) {
	st := m.a.terminalState(l)
	if st == nil {
		return nil, fmt.Errorf("answer leg %s: %w", l.ID(), ErrNotAnchored)
	}
	in, err := parseLeg(offer)
	if err != nil {
		return nil, fmt.Errorf("answer leg %s: %w", l.ID(), err)
	}
	o := &ourSDP{addr: m.a.advertised(st), dir: sdpneg.Mirror(in.dir()), ptime: in.sess.PTime, layout: in.layout, audio: in.audio}
	if in.rejected() {
		o.addr, o.codecs = netip.AddrPortFrom(o.addr.Addr(), 0), in.sess.Codecs[:min(1, len(in.sess.Codecs))]
	} else if o.codecs, err = terminalCodecs(in.sess.Codecs); err != nil {
		return nil, fmt.Errorf("answer leg %s: %w", l.ID(), err)
	}
	if err := st.send(o); err != nil {
		return nil, fmt.Errorf("answer leg %s: %w", l.ID(), err)
	}
	st.theirs, st.theyOffered, st.weOffered = in, false, false
	st.apply()
	st.ep.Rearm()
	return st.raw, nil
}

// LocalOffer implements call.LocalMedia: the PBX's SDP to the leg, as it
// stands.
func (m *seam) LocalOffer(l *call.Leg) ([]byte, error) {
	st := m.a.terminalState(l)
	if st == nil || st.raw == nil {
		return nil, fmt.Errorf("offer to leg %s: %w", l.ID(), ErrNotAnchored)
	}
	return st.raw, nil
}

// unrelay takes leg l out of what the call did with it before the PBX
// became its far end: the endpoints of legs that are over (a callee that
// rang and failed) and the relay to them.
func (a *anchor) unrelay(l *call.Leg, st *legState) {
	a.sweep(l, l)
	a.mu.Lock()
	defer a.mu.Unlock()
	if p := st.peer; p != nil {
		if p.peer == st && p.ep != nil {
			p.ep.Unlink()
			p.peer = nil
		}
		st.peer = nil
	}
	if st.ep != nil {
		st.ep.Unlink()
	}
}

// terminalCodecsOf reports whether the PBX's SDP o has an audio codec a
// player can send (G.711).
func terminalCodecsOf(o *ourSDP) bool {
	if o == nil {
		return false
	}
	for _, c := range o.codecs {
		if id := idOf(c); id == codecPCMU || id == codecPCMA {
			return true
		}
	}
	return false
}
