package media

import (
	"errors"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/internal/sdpneg"
)

// relatchSilence is how long the latched source must have been silent
// before a packet with another SSRC from another address takes over the
// endpoint (a phone that restarted its stream elsewhere). While the latched
// source sends, strangers are ignored whatever their SSRC.
const relatchSilence = 250 * time.Millisecond

// Endpoint is the PBX's RTP/RTCP socket pair facing ONE leg. Its receive
// loops accept what the leg sends — valid RTP version 2 with a payload type
// negotiated with that leg — and latch to the address it really comes from
// (symmetric RTP, RFC 4961: what the PBX sends to the leg goes there, not to
// the SDP address, which is what makes phones behind NAT work). Packets from
// other sources are dropped once latched. Accepted packets go to the
// endpoint's Route (the far leg's endpoint, see relay.go) and to its
// Receiver, if any. RTCP from the leg is relayed on the far endpoint's RTCP
// socket. Stats count everything, including what was dropped and why.
//
// The anchor configures an endpoint (SetLeg, SetRoute) on the call's
// executor; its receive loops run on their own goroutines; every
// cross-goroutine field is atomic, so configuration never stops the flow.
type Endpoint struct {
	name  string
	pair  *Pair
	rtp   conn
	rtcp  conn
	clock clock.Clock
	log   *slog.Logger

	leg      atomic.Pointer[LegMedia] // what the leg negotiated; nil until it is known
	route    atomic.Pointer[route]    // where accepted packets go
	dst      atomic.Pointer[dest]     // RTP destination: latched source, else SDP address
	dstRTCP  atomic.Pointer[dest]
	recv     atomic.Pointer[receiverBox]
	override atomic.Bool // a Player owns the stream to the leg: relayed audio is not sent
	isolated atomic.Bool // a service took the leg out of its relay: Link leaves it alone (Isolate)
	unlatch  atomic.Bool // the leg's address changed (re-INVITE): latch anew

	lastRTP atomic.Int64 // clock time (UnixNano) of the last accepted RTP packet; 0 none
	armed   atomic.Int64 // media timeout counts from here at the earliest

	in  inStats  // written by the RTP receive loop
	out outStats // written by whoever sends to the leg

	// With a reactor the RTP socket is served from the reactor's workers
	// through its descriptor fd (-1: a goroutine reads it), held open
	// while rawMu is read-locked; rx is the receive state they keep.
	reactor *reactor
	rawMu   sync.RWMutex
	fd      int
	slot    int32
	rx      rxState

	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// LegMedia is what one leg negotiated, as the endpoint needs it. The anchor
// builds it from the leg's SDP and the PBX's SDP to the leg.
type LegMedia struct {
	// Addr is where the leg asked for RTP (its SDP's c= and m= port); not
	// valid when it asked for none (c=0.0.0.0, port 0).
	Addr netip.AddrPort
	// RTCP is where RTCP goes before the leg's own RTCP latches (a=rtcp,
	// else Addr's port + 1).
	RTCP netip.AddrPort
	// Sends: the leg is expected to send (its direction is sendrecv both
	// ways). The media timeout applies only then.
	Sends bool
	// Receives: the leg takes media (not sendonly/inactive, has an address).
	Receives bool
	// PTs maps the payload types the leg may send to their codec (the
	// leg's own SDP and the PBX's SDP to it); unknown types are dropped.
	PTs [128]sdpneg.Codec
	// Takes maps each codec the leg receives to the payload type to send
	// it with (its own SDP's); -1 = not taken.
	takes [numCodecs]int16
	ids   [128]codecID
	audio sdpneg.Codec
}

// NewLegMedia builds a LegMedia; recvPTs are the codecs (with the leg's
// payload types) the leg may send, sendPTs those it takes, in preference
// order.
func NewLegMedia(addr, rtcp netip.AddrPort, sends, receives bool, recvPTs, sendPTs []sdpneg.Codec) *LegMedia {
	m := &LegMedia{Addr: addr, RTCP: rtcp, Sends: sends, Receives: receives && addr.IsValid() && addr.Port() != 0}
	for i := range m.takes {
		m.takes[i] = -1
	}
	for _, c := range recvPTs {
		if id := idOf(c); id != codecNone && c.PT < 128 {
			m.PTs[c.PT], m.ids[c.PT] = c, id
		}
	}
	for _, c := range sendPTs {
		if id := idOf(c); id != codecNone && c.PT < 128 && m.takes[id] < 0 {
			m.takes[id] = int16(c.PT)
			if id.isAudio() && m.audio.Name == "" {
				m.audio = c
			}
		}
	}
	return m
}

// AudioCodec is the audio codec the leg prefers to receive (what a Player
// sends it), with the leg's payload type.
func (m *LegMedia) AudioCodec() (sdpneg.Codec, bool) { return m.audio, m.audio.Name != "" }

// Receiver gets every RTP packet an endpoint accepted from its leg, on the
// endpoint's receive goroutine, before it is relayed: a DTMF detector
// (RFC 4733 events), a recorder, an IVR. It must not block, and must not
// keep payload after it returns.
type Receiver interface {
	ReceiveRTP(e *Endpoint, h Header, payload []byte)
}

// Header is an accepted RTP packet's header, with the codec its payload
// type means on that leg.
type Header struct {
	Codec     sdpneg.Codec
	Marker    bool
	Seq       uint16
	Timestamp uint32
	SSRC      uint32
}

type receiverBox struct{ r Receiver }

type dest struct {
	ap  netip.AddrPort
	ua  *net.UDPAddr // for net.PacketConn.WriteTo without an allocation per packet
	raw rawAddr      // for the reactor's sendto
}

func newDest(ap netip.AddrPort) *dest {
	if !ap.IsValid() || ap.Port() == 0 || ap.Addr().IsUnspecified() {
		return nil
	}
	return &dest{ap: ap, ua: net.UDPAddrFromAddrPort(ap), raw: newRawAddr(ap)}
}

// EndpointOption configures an Endpoint.
type EndpointOption func(*Endpoint)

// WithEndpointClock sets the clock of arrival times and the media timeout.
func WithEndpointClock(c clock.Clock) EndpointOption { return func(e *Endpoint) { e.clock = c } }

// WithEndpointLogger sets the logger.
func WithEndpointLogger(l *slog.Logger) EndpointOption { return func(e *Endpoint) { e.log = l } }

// withReactor serves the endpoint's RTP socket from r's workers (when it
// is a kernel UDP socket) instead of a goroutine of its own.
func withReactor(r *reactor) EndpointOption { return func(e *Endpoint) { e.reactor = r } }

// NewEndpoint takes over pair (Close releases it) and starts receiving.
// name labels it in logs (call and leg).
func NewEndpoint(name string, pair *Pair, opts ...EndpointOption) *Endpoint {
	e := &Endpoint{name: name, pair: pair, rtp: newConn(pair.RTP), rtcp: newConn(pair.RTCP),
		clock: clock.New(), log: slog.New(slog.DiscardHandler), done: make(chan struct{}), fd: -1}
	for _, o := range opts {
		o(e)
	}
	e.armed.Store(e.clock.Now().UnixNano())
	if e.reactor == nil || !e.reactor.add(e) {
		e.wg.Go(e.runRTP)
	}
	e.wg.Go(e.runRTCP)
	return e
}

// Name is the endpoint's label (call and leg).
func (e *Endpoint) Name() string { return e.name }

// Addr is the local RTP address (RTCP is on the next port).
func (e *Endpoint) Addr() netip.AddrPort { return e.pair.Addr }

// SetLeg installs what the leg negotiated. A new address for the leg
// (re-INVITE) drops the latch: the next valid packet latches again. It
// does not recompute routes: the anchor does (relay.go).
func (e *Endpoint) SetLeg(m *LegMedia) {
	old := e.leg.Swap(m)
	if old == nil || old.Addr != m.Addr || old.RTCP != m.RTCP {
		if old != nil {
			e.unlatch.Store(true)
		}
		e.dst.Store(newDest(m.Addr))
		e.dstRTCP.Store(newDest(m.RTCP))
	}
	if old == nil || old.Sends != m.Sends {
		e.Rearm()
	}
}

// Leg returns what the leg negotiated (nil before SetLeg).
func (e *Endpoint) Leg() *LegMedia { return e.leg.Load() }

// SetReceiver installs r (nil removes it).
func (e *Endpoint) SetReceiver(r Receiver) {
	if r == nil {
		e.recv.Store(nil)
		return
	}
	e.recv.Store(&receiverBox{r: r})
}

// SetOverride stops (on) or resumes (off) the relayed audio to the leg:
// while on, only Send reaches it (a Player playing a prompt or music on
// hold).
func (e *Endpoint) SetOverride(on bool) { e.override.Store(on) }

// Send writes one RTP packet to the leg: to the address it latched to, else
// its SDP address. It does nothing (nil) when the leg takes no media.
func (e *Endpoint) Send(pkt []byte) error {
	m := e.leg.Load()
	if m == nil || !m.Receives {
		return nil
	}
	d := e.dst.Load()
	if d == nil {
		return nil
	}
	if err := e.writeRTP(pkt, d); err != nil {
		e.out.errors.Add(1)
		return err
	}
	e.out.packets.Add(1)
	e.out.bytes.Add(uint64(len(pkt)))
	return nil
}

// Rearm restarts the media timeout count (the leg was just answered, or
// its direction changed).
func (e *Endpoint) Rearm() { e.armed.Store(e.clock.Now().UnixNano()) }

// Idle is how long the leg has sent no RTP, counted from Rearm at the
// earliest.
func (e *Endpoint) Idle() time.Duration {
	since := max(e.lastRTP.Load(), e.armed.Load())
	return time.Duration(e.clock.Now().UnixNano() - since)
}

// Close stops the receive loops and releases the port pair (it drains
// before reuse). Idempotent.
func (e *Endpoint) Close() error {
	var err error
	e.once.Do(func() {
		if e.fd >= 0 {
			e.rawMu.Lock() // no worker is using the descriptor
			e.reactor.remove(e)
			e.rawMu.Unlock()
		}
		close(e.done)
		err = e.pair.Release()
		e.wg.Wait()
	})
	return err
}

func (e *Endpoint) closing() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// runRTP is the RTP receive loop.
func (e *Endpoint) runRTP() {
	buf := make([]byte, maxDatagram)
	var st rxState
	for {
		n, from, err := e.rtp.read(buf)
		if err != nil {
			if e.closing() || errors.Is(err, net.ErrClosed) {
				return
			}
			e.log.Debug("rtp read", "endpoint", e.name, "error", err)
			continue
		}
		e.handleRTP(&st, buf[:n], from)
	}
}

// handleRTP is the per-packet path: validate, latch, count, relay. It
// must not allocate.
func (e *Endpoint) handleRTP(st *rxState, b []byte, from netip.AddrPort) {
	h, ok := parseRTP(b)
	if !ok {
		e.in.malformed.Add(1)
		return
	}
	m := e.leg.Load()
	if m == nil || m.ids[h.pt] == codecNone {
		e.in.wrongPT.Add(1)
		return
	}
	now := e.clock.Now()
	if e.unlatch.Load() && e.unlatch.Swap(false) {
		st.latched = false
	}
	switch {
	case !st.latched:
		e.latch(st, from, h.ssrc)
	case from != st.src:
		if h.ssrc == st.ssrc || now.Sub(st.lastAt) < relatchSilence {
			e.in.strangers.Add(1)
			return
		}
		e.in.relatches.Add(1)
		e.latch(st, from, h.ssrc)
	case h.ssrc != st.ssrc:
		e.in.ssrcChanges.Add(1)
		st.newSource(h.ssrc)
	}
	id := m.ids[h.pt]
	st.update(h, id, now)
	e.in.packets.Add(1)
	e.in.bytes.Add(uint64(h.end - h.off))
	e.in.lost.Store(st.lost())
	e.in.jitter.Store(math.Float64bits(st.jitter))
	e.in.ssrc.Store(st.ssrc)
	e.lastRTP.Store(now.UnixNano())
	if rb := e.recv.Load(); rb != nil {
		rb.r.ReceiveRTP(e, Header{Codec: m.PTs[h.pt], Marker: h.marker, Seq: h.seq, Timestamp: h.ts, SSRC: h.ssrc}, b[h.off:h.end])
	}
	e.forward(b, h)
}

// latch makes from the leg's RTP source (and, through its IP, the only
// accepted RTCP source) and where RTP to the leg goes.
func (e *Endpoint) latch(st *rxState, from netip.AddrPort, ssrc uint32) {
	st.latched = true
	st.src = from
	st.newSource(ssrc)
	if d := e.dst.Load(); d == nil || d.ap != from {
		e.dst.Store(newDest(from))
	}
	e.in.latched.Store(&from)
}

// forward relays an accepted packet along the route (relay.go).
func (e *Endpoint) forward(b []byte, h rtpHeader) {
	r := e.route.Load()
	if r == nil {
		e.in.unrouted.Add(1)
		return
	}
	a := r.act[h.pt]
	out := r.out
	if a.op == opDrop || out.override.Load() {
		e.in.unrouted.Add(1)
		return
	}
	om := out.leg.Load()
	d := out.dst.Load()
	if om == nil || !om.Receives || d == nil {
		e.in.unrouted.Add(1)
		return
	}
	transcode(a.op, b[h.off:h.end])
	setPT(b, a.pt)
	if err := out.writeRTP(b, d); err != nil {
		out.out.errors.Add(1)
		return
	}
	out.out.packets.Add(1)
	out.out.bytes.Add(uint64(h.end - h.off))
}

// writeRTP sends b from the endpoint's RTP socket to d.
func (e *Endpoint) writeRTP(b []byte, d *dest) error {
	if e.reactor != nil {
		e.rawMu.RLock()
		defer e.rawMu.RUnlock()
		if e.fd >= 0 {
			return sendTo(e.fd, b, d)
		}
	}
	return e.rtp.write(b, d)
}

// runRTCP is the RTCP receive loop: valid RTCP from the leg (from the IP
// its RTP latched to, once latched) is relayed to the far leg's RTCP.
func (e *Endpoint) runRTCP() {
	buf := make([]byte, maxDatagram)
	var latched netip.AddrPort
	for {
		n, from, err := e.rtcp.read(buf)
		if err != nil {
			if e.closing() || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		e.handleRTCP(&latched, buf[:n], from)
	}
}

func (e *Endpoint) handleRTCP(latched *netip.AddrPort, b []byte, from netip.AddrPort) {
	if !isRTCP(b) {
		e.in.malformed.Add(1)
		return
	}
	if e.leg.Load() == nil {
		e.in.strangers.Add(1)
		return
	}
	if src := e.in.latched.Load(); src != nil && src.Addr() != from.Addr() {
		e.in.strangers.Add(1)
		return
	}
	if *latched != from {
		*latched = from
		e.dstRTCP.Store(newDest(from))
	}
	e.in.rtcp.Add(1)
	r := e.route.Load()
	if r == nil {
		return
	}
	out := r.out
	om := out.leg.Load()
	d := out.dstRTCP.Load()
	if om == nil || !om.Receives || d == nil {
		return
	}
	if err := out.rtcp.write(b, d); err != nil {
		out.out.errors.Add(1)
		return
	}
	out.out.rtcp.Add(1)
}
