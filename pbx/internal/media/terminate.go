package media

import (
	"fmt"

	"pbxlab/internal/sdpneg"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
)

// Terminate makes the media server the far end of leg l of call c — a
// service that answers the call itself (voicemail, an IVR) — and returns
// the SDP answer to l's offer and the endpoint facing l, where the service
// plays (Send, with SetOverride) and listens (SetReceiver). The leg is
// taken out of any relay (a callee that rang and failed); when the PBX has
// already answered l's offer (early media of a 183) that answer is given
// again, as a dialog's answer never changes. The endpoint is released with
// the call. Call it on the call's executor, with the media server on.
func (s *Server) Terminate(c *call.Call, l *call.Leg, offer []byte) ([]byte, *Endpoint, error) {
	if !s.cfg.Enabled {
		return nil, nil, fmt.Errorf("terminate %s: %w", l.ID(), ErrDisabled)
	}
	s.mu.Lock()
	a := s.anchors[c]
	s.mu.Unlock()
	if a == nil {
		return nil, nil, fmt.Errorf("terminate %s: %w", l.ID(), ErrNoAnchor)
	}
	if len(offer) == 0 {
		return nil, nil, fmt.Errorf("terminate %s: %w: late offer", l.ID(), ErrBadSDP)
	}
	in, err := parseLeg(offer)
	if err != nil {
		return nil, nil, fmt.Errorf("terminate %s: %w", l.ID(), err)
	}
	if in.rejected() {
		return nil, nil, fmt.Errorf("terminate %s: %w: audio declined", l.ID(), ErrBadSDP)
	}
	a.mode = config.AnchorRelay // from now on the PBX carries this call's media
	a.sweep(l, l)
	st := a.state(l)
	a.mu.Lock()
	if p := st.peer; p != nil {
		if p.peer == st {
			p.ep.Unlink()
			p.peer = nil
		}
		st.peer = nil
	}
	if st.ep != nil {
		st.ep.Unlink()
	}
	a.mu.Unlock()
	if err := a.ensureEndpoint(st, in.addr()); err != nil {
		return nil, nil, err
	}
	if st.raw == nil || st.theyOffered {
		codecs, err := answerCodecs(in.sess.Codecs, []sdpneg.Codec{sdpneg.PCMU(), sdpneg.PCMA()})
		if err != nil {
			return nil, nil, fmt.Errorf("terminate %s: %w", l.ID(), err)
		}
		o := &ourSDP{addr: a.advertised(st), codecs: codecs, dir: sdpneg.SendRecv, ptime: in.sess.PTime, layout: in.layout, audio: in.audio}
		if err := st.send(o); err != nil {
			return nil, nil, fmt.Errorf("terminate %s: %w", l.ID(), err)
		}
	}
	st.theirs, st.theyOffered, st.weOffered = in, false, false
	st.apply()
	st.ep.Rearm()
	return st.raw, st.ep, nil
}
