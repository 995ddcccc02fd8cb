package media

import (
	"fmt"

	"pbxlab/internal/sdpneg"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
)

// Moving an established leg onto the media server (a three-party call,
// pbx/threeway.go): TerminateLeg makes the PBX the far end of leg l of an
// answered call — its relay to the other leg is cut, music on hold to it
// stops — and returns the leg's endpoint and the PBX's new offer (same
// session, next version, same m= lines: G.711 both laws and
// telephone-event, sendrecv). The call layer re-INVITEs the leg with it
// (call.Reoffer) and the leg's answer goes to TerminateAnswer. A call
// whose media went phone to phone (media.anchor direct) gets its endpoint
// here: the re-INVITE brings the phone's RTP to the PBX. Call it on the
// call's executor.
func (s *Server) TerminateLeg(c *call.Call, l *call.Leg) (*Endpoint, []byte, error) {
	if err := s.Require(); err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	a := s.anchors[c]
	s.mu.Unlock()
	if a == nil {
		return nil, nil, fmt.Errorf("terminate leg %s: %w", l.ID(), ErrNotAnchored)
	}
	a.mode = config.AnchorRelay
	st := a.state(l)
	a.mu.Lock()
	if st.moh != nil {
		st.moh.Stop()
		st.moh = nil
	}
	a.mu.Unlock()
	peer := l.Local().Addr
	if st.theirs != nil && st.theirs.addr().IsValid() {
		peer = st.theirs.addr()
	}
	if err := a.ensureEndpoint(st, peer); err != nil {
		return nil, nil, err
	}
	st.terminal = true
	a.unrelay(l, st)
	layout, audio := st.layout()
	o := &ourSDP{addr: a.advertised(st), codecs: []sdpneg.Codec{sdpneg.PCMU(), sdpneg.PCMA(), sdpneg.TelephoneEvent()},
		dir: sdpneg.SendRecv, layout: layout, audio: audio}
	if st.theirs != nil {
		o.ptime = st.theirs.sess.PTime
	}
	if err := st.send(o); err != nil {
		return nil, nil, fmt.Errorf("terminate leg %s: %w", l.ID(), err)
	}
	st.weOffered, st.theyOffered = true, false
	st.apply()
	st.ep.Rearm()
	return st.ep, st.raw, nil
}

// AddReceiver adds r to what the endpoint's received packets go to
// (after any receiver already there: a DTMF listener and a conference
// room share a leg) and returns what removes it again.
func (e *Endpoint) AddReceiver(r Receiver) (remove func()) { return hookReceiver(e, r) }
