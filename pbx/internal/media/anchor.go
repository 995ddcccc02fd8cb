package media

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"

	"pbxlab/internal/sdpneg"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/sipx"
)

// anchor is the media of one call: an Endpoint per leg that has media, the
// SDP the PBX gave each leg, and which legs are relayed to each other. The
// call layer reaches it through seams (one per bridge, see Server.Seam);
// their methods run on the call's executor. The timeout sweeper reads the
// endpoints from its own goroutine, hence mu.
type anchor struct {
	s    *Server
	c    *call.Call
	mode config.Anchor // "" until the first SDP: the callee is known by then

	mu     sync.Mutex
	legs   map[*call.Leg]*legState
	refs   int
	closed bool

	checking atomic.Bool // a timeout check is posted to the executor
	timedOut bool
}

// legState is the media of one leg.
type legState struct {
	leg    *call.Leg
	ep     *Endpoint
	theirs *legSDP // the leg's latest SDP
	ours   *ourSDP // the PBX's latest SDP to the leg
	raw    []byte  // ours, as sent
	sessID uint64
	// theyOffered: the leg's latest SDP is an offer the PBX has not
	// answered yet; weOffered: ours is an offer the leg has not answered.
	theyOffered, weOffered bool
	peer                   *legState
	adv                    netip.Addr // the PBX address in SDP to the leg
	moh                    *Player    // music on hold to the leg (hold.go)
	terminal               bool       // the PBX is the leg's far end (terminal.go)
	holding                bool       // the leg holds its peer, the PBX took the hold (hold_local.go)
}

// seam is one bridge's view of the call's anchor (call.Media).
type seam struct {
	a    *anchor
	once sync.Once
}

// Offer implements call.Media: an offer from leg from, to be sent to leg to.
func (m *seam) Offer(from, to *call.Leg, sdp []byte) ([]byte, error) { return m.a.offer(from, to, sdp) }

// Answer implements call.Media: an answer from leg from to to's offer.
func (m *seam) Answer(from, to *call.Leg, sdp []byte) ([]byte, error) {
	return m.a.answer(from, to, sdp)
}

// Close implements call.Media: the call's endpoints are released when its
// last seam closes.
func (m *seam) Close() { m.once.Do(m.a.release) }

// relayed decides the call's mode on its first SDP (number analysis has
// named the callee by then) and reports whether it is anchored.
func (a *anchor) relayed() bool {
	if a.mode == "" {
		a.mode = a.s.modeOf(a.c)
		if a.mode != config.AnchorRelay {
			a.s.log.Debug("media direct", "call_id", a.c.ID())
		}
	}
	return a.mode == config.AnchorRelay
}

// offer anchors an offer: from's endpoint learns where from wants RTP,
// to gets the PBX's offer (its own endpoint's port, the codecs the PBX can
// bridge, from's direction). An offer to a leg that has the PBX's previous
// offer still unanswered (the 183 and the 2xx of a forked late offer) gets
// the same SDP again.
func (a *anchor) offer(from, to *call.Leg, body []byte) ([]byte, error) {
	if !a.relayed() {
		return body, nil
	}
	in, err := parseLeg(body)
	if err != nil {
		return nil, fmt.Errorf("anchor offer from %s: %w", from.ID(), err)
	}
	if in.rejected() {
		return nil, fmt.Errorf("anchor offer from %s: %w: audio declined", from.ID(), ErrBadSDP)
	}
	codecs, err := offerCodecs(in.sess.Codecs)
	if err != nil {
		return nil, fmt.Errorf("anchor offer from %s: %w", from.ID(), err)
	}
	a.sweep(from, to)
	f, t := a.state(from), a.state(to)
	if err := a.ensureEndpoint(f, in.addr()); err != nil {
		return nil, err
	}
	if err := a.ensureEndpoint(t, a.peerAddr(t, in)); err != nil {
		return nil, err
	}
	f.theirs, f.theyOffered = in, true
	if !t.weOffered || t.raw == nil {
		layout, audio := t.layout()
		o := &ourSDP{addr: a.advertised(t), codecs: codecs, dir: a.holdOffer(f, t, in.dir()), ptime: in.sess.PTime, layout: layout, audio: audio}
		if err := t.send(o); err != nil {
			return nil, fmt.Errorf("anchor offer to %s: %w", to.ID(), err)
		}
		t.weOffered = true
	}
	f.apply()
	t.apply()
	if f.peer == t {
		Link(f.ep, t.ep)
	}
	a.holdApply(f, t, in.dir())
	return t.raw, nil
}

// answer anchors an answer: from's endpoint learns where from wants RTP,
// to gets the PBX's answer to its offer (one codec both can bridge), and
// the two legs are relayed to each other. An answer to an offer the PBX
// has already answered (early media in a 183, then the 2xx — maybe of
// another fork) gets the same SDP again: to never sees its answer change;
// only the relay behind it does.
func (a *anchor) answer(from, to *call.Leg, body []byte) ([]byte, error) {
	if !a.relayed() {
		return body, nil
	}
	in, err := parseLeg(body)
	if err != nil {
		return nil, fmt.Errorf("anchor answer from %s: %w", from.ID(), err)
	}
	a.sweep(from, to)
	f, t := a.state(from), a.state(to)
	if t.theirs == nil {
		return nil, fmt.Errorf("anchor answer from %s to %s: %w: no offer from %s", from.ID(), to.ID(), ErrBadSDP, to.ID())
	}
	if err := a.ensureEndpoint(f, in.addr()); err != nil {
		return nil, err
	}
	if err := a.ensureEndpoint(t, t.theirs.addr()); err != nil {
		return nil, err
	}
	f.theirs, f.weOffered = in, false
	if t.theyOffered || t.raw == nil {
		layout, audio := t.theirs.layout, t.theirs.audio
		o := &ourSDP{addr: a.advertised(t), dir: answerDir(t.theirs.dir(), in.dir()), ptime: t.theirs.sess.PTime, layout: layout, audio: audio}
		if in.rejected() {
			o.addr, o.codecs = netip.AddrPortFrom(o.addr.Addr(), 0), t.theirs.sess.Codecs[:min(1, len(t.theirs.sess.Codecs))]
		} else if o.codecs, err = answerCodecs(t.theirs.sess.Codecs, in.sess.Codecs); err != nil {
			return nil, fmt.Errorf("anchor answer from %s to %s: %w", from.ID(), to.ID(), err)
		}
		if err := t.send(o); err != nil {
			return nil, fmt.Errorf("anchor answer to %s: %w", to.ID(), err)
		}
		t.theyOffered = false
	}
	f.apply()
	t.apply()
	a.pair(f, t)
	f.ep.Rearm()
	t.ep.Rearm()
	return t.raw, nil
}

// pair relays f and t to each other, unlinking their former partners.
func (a *anchor) pair(f, t *legState) {
	for _, x := range []*legState{f, t} {
		if x.peer != nil && x.peer != f && x.peer != t {
			x.peer.ep.Unlink()
			x.peer.peer = nil
		}
	}
	f.peer, t.peer = t, f
	Link(f.ep, t.ep)
}

// state returns the media state of leg l, new if needed.
func (a *anchor) state(l *call.Leg) *legState {
	a.mu.Lock()
	defer a.mu.Unlock()
	st, ok := a.legs[l]
	if !ok {
		st = &legState{leg: l, sessID: rand.Uint64N(1 << 62)}
		a.legs[l] = st
	}
	return st
}

// sweep releases the endpoints of legs that are over (losing forks once
// cancelled, legs the call let go), except the two in hand.
func (a *anchor) sweep(keep ...*call.Leg) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for l, st := range a.legs {
		if l == keep[0] || l == keep[1] {
			continue
		}
		if s := l.State(); s == call.LegTerminating || s == call.LegTerminated {
			a.drop(st)
			delete(a.legs, l)
		}
	}
}

// drop releases one leg's endpoint (a.mu held).
func (a *anchor) drop(st *legState) {
	if st.moh != nil {
		st.moh.Stop()
		st.moh = nil
	}
	if st.peer != nil {
		if st.peer.peer == st {
			st.peer.ep.Unlink()
			st.peer.peer = nil
		}
		st.peer = nil
	}
	if st.ep != nil {
		if err := st.ep.Close(); err != nil {
			a.s.log.Debug("close endpoint", "endpoint", st.ep.Name(), "error", err)
		}
		st.ep = nil
	}
}

// ensureEndpoint gives st an endpoint bound on the PBX address facing peer.
func (a *anchor) ensureEndpoint(st *legState, peer netip.AddrPort) error {
	if st.ep != nil {
		return nil
	}
	a.mu.Lock()
	closed := a.closed
	a.mu.Unlock()
	if closed {
		return fmt.Errorf("anchor %s: %w", st.leg.ID(), ErrClosed)
	}
	loc, ok := a.s.localFor(st.leg, peer.Addr())
	if !ok {
		return fmt.Errorf("anchor %s (peer %s): %w", st.leg.ID(), peer, ErrNoAddress)
	}
	pair, err := a.s.ports.Allocate(loc.Bind)
	if err != nil {
		a.s.log.Warn("media ports exhausted", "call_id", a.c.ID(), "leg", st.leg.ID(), "error", err)
		return &sipx.StatusError{Code: 503, Reason: "Service Unavailable", Err: fmt.Errorf("anchor %s: %w", st.leg.ID(), err)}
	}
	ep := NewEndpoint(a.c.ID()+"/"+st.leg.ID(), pair, WithEndpointClock(a.s.clock), WithEndpointLogger(a.s.log), withReactor(a.s.reactorFor(pair)))
	a.mu.Lock()
	st.ep = ep
	a.mu.Unlock()
	st.adv = loc.Advertise
	return nil
}

// peerAddr guesses where leg t is (to pick the PBX address facing it)
// before it sent any SDP: its last SDP, else the offerer's address.
func (a *anchor) peerAddr(t *legState, in *legSDP) netip.AddrPort {
	if t.theirs != nil && t.theirs.addr().IsValid() {
		return t.theirs.addr()
	}
	return in.sess.Addr
}

// advertised is the PBX address and port in SDP to leg st.
func (a *anchor) advertised(st *legState) netip.AddrPort {
	return netip.AddrPortFrom(st.adv, st.ep.Addr().Port())
}

// layout is the m= layout of a new offer to the leg: the session's so far
// (its offer's, or ours), else a single audio stream.
func (st *legState) layout() ([]mline, int) {
	switch {
	case st.ours != nil:
		return st.ours.layout, st.ours.audio
	case st.theirs != nil:
		return st.theirs.layout, st.theirs.audio
	}
	return nil, 0
}

// send makes o the PBX's SDP to the leg (a new version).
func (st *legState) send(o *ourSDP) error {
	o.sessID = st.sessID
	o.version = 1
	if st.ours != nil {
		o.version = st.ours.version + 1
	}
	raw, err := o.marshal()
	if err != nil {
		return err
	}
	st.ours, st.raw = o, raw
	return nil
}

// apply installs on the leg's endpoint what it negotiated: where it wants
// RTP, whether it sends and receives, the payload types of both SDPs.
func (st *legState) apply() {
	if st.ep == nil {
		return
	}
	var (
		addr, rtcp   netip.AddrPort
		theirDir     = sdpneg.Inactive
		ourDir       = sdpneg.SendRecv
		ours, theirs []sdpneg.Codec
	)
	if st.ours != nil {
		ours, ourDir = st.ours.codecs, st.ours.dir
	}
	if t := st.theirs; t != nil {
		addr, theirDir, theirs = t.addr(), t.dir(), t.sess.Codecs
		if addr.IsValid() {
			rtcp = t.rtcp
		}
	}
	// the leg may send with the payload types of either SDP; it is sent
	// what both SDPs list, with its own payload types (ours only until it
	// sent one)
	recvPTs := append(slices.Clone(ours), theirs...)
	sendTo := negotiated(theirs, ours)
	sends := theirDir == sdpneg.SendRecv && ourDir == sdpneg.SendRecv && addr.IsValid()
	receives := dirReceives(theirDir) && dirSends(ourDir)
	st.ep.SetLeg(NewLegMedia(addr, rtcp, sends, receives, recvPTs, sendTo))
}

// negotiated is the codecs of theirs that ours lists too (theirs alone
// when that leaves no audio codec; ours alone when there is no theirs).
func negotiated(theirs, ours []sdpneg.Codec) []sdpneg.Codec {
	if len(theirs) == 0 {
		return ours
	}
	var out []sdpneg.Codec
	audio := false
	for _, c := range theirs {
		id := idOf(c)
		if slices.ContainsFunc(ours, func(o sdpneg.Codec) bool { return idOf(o) == id }) {
			out = append(out, c)
			audio = audio || id.isAudio()
		}
	}
	if !audio {
		return theirs
	}
	return out
}

// release closes the call's endpoints once every seam of the call closed.
func (a *anchor) release() {
	a.mu.Lock()
	a.refs--
	if a.refs > 0 || a.closed {
		a.mu.Unlock()
		return
	}
	a.closed = true
	for l, st := range a.legs {
		a.drop(st)
		delete(a.legs, l)
	}
	a.mu.Unlock()
	a.s.forget(a)
}

// endpoints lists the call's endpoints with their legs.
func (a *anchor) endpoints() []legEndpoint {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]legEndpoint, 0, len(a.legs))
	for l, st := range a.legs {
		if st.ep != nil {
			out = append(out, legEndpoint{leg: l, ep: st.ep})
		}
	}
	return out
}

type legEndpoint struct {
	leg *call.Leg
	ep  *Endpoint
}

// checkTimeout runs on the call's executor once the sweeper saw an idle
// endpoint: a leg that is answered, relayed and should be sending, and
// has been silent for the timeout, ends the call; any other idle leg only
// restarts its count (ringing, on hold, not relayed).
func (a *anchor) checkTimeout() {
	a.checking.Store(false)
	if a.timedOut {
		return
	}
	for _, le := range a.endpoints() {
		s := le.leg.State()
		m := le.ep.Leg()
		if (s != call.LegAnswered && s != call.LegConfirmed) || m == nil || !m.Sends || le.ep.Peer() == nil {
			le.ep.Rearm()
			continue
		}
		if idle := le.ep.Idle(); idle >= a.s.timeout {
			a.timedOut = true
			a.c.Log().Info("media timeout", "leg", le.leg.ID(), "idle", idle, "endpoint", le.ep.Addr())
			a.c.Hangup(ReasonTimeout)
			return
		}
	}
}

// ReasonTimeout is the CDR reason of a call ended by the media timeout.
const ReasonTimeout = "media timeout"
