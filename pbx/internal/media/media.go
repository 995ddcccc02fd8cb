// Package media is the PBX's media server. Today: anchored RTP — an RTP
// port allocator (ports.go), an Endpoint per leg that latches to where the
// leg's packets come from, keeps statistics and feeds the media timeout
// (endpoint.go), the relay between two endpoints with G.711 µ-law/A-law
// transcoding and RFC 4733 passthrough (relay.go, transcode.go), and the
// anchor that implements the call layer's Media seam, rewriting every SDP
// that crosses the PBX so that both legs talk to the PBX (anchor.go,
// sdp.go). Tones, prompts, conferences and the rest of issue 8 plug into
// Endpoints (Send, SetOverride, SetReceiver).
//
// The call layer (pbx/internal/call) drives it through call.Media: the
// PBX builds a Server and passes call.WithMedia(server.Seam). call never
// imports this package.
package media

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/sipx"
)

// Local is how the PBX faces one peer for media: the IP its sockets bind
// and the IP its SDP names (they differ behind a 1:1 NAT, or for a 0.0.0.0
// listener).
type Local struct {
	Bind, Advertise netip.Addr
}

// Server is the media server: the port range, the anchored calls and the
// media timeout sweeper.
type Server struct {
	cfg    config.Media
	log    *slog.Logger
	clock  clock.Clock
	listen ListenFunc
	local  func(peer netip.Addr) (Local, bool)
	mode   func(*call.Call) config.Anchor
	ports  *Ports
	// reactor serves the kernel sockets of every endpoint (created with the
	// first one: a server on an in-memory network never starts it); nil:
	// every endpoint reads its socket from a goroutine
	reactor     *reactor
	reactorOnce sync.Once
	timeout     time.Duration
	svc         *services                        // prompts, music on hold (services.go); nil when off
	hold        func(*call.Call, *call.Leg) bool // whether the PBX takes a hold itself (hold_local.go)

	mu      sync.Mutex
	anchors map[*call.Call]*anchor
	closed  bool
	sweeper clock.Timer
}

// Option configures a Server.
type Option func(*Server)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithClock sets the clock of the media timeout and the port drain.
func WithClock(c clock.Clock) Option { return func(s *Server) { s.clock = c } }

// WithListen opens the RTP sockets with f (default net.ListenPacket);
// virtual-time tests pass internal/memnet's.
func WithListen(f ListenFunc) Option {
	return func(s *Server) {
		if f != nil {
			s.listen = f
		}
	}
}

// WithLocal tells the server which address faces a peer (the PBX passes
// its SIP listeners' choice: the bound address, and the advertised one).
// Default: the unspecified address of the peer's family, advertising the
// local address the kernel routes to the peer from.
func WithLocal(f func(peer netip.Addr) (Local, bool)) Option {
	return func(s *Server) {
		if f != nil {
			s.local = f
		}
	}
}

// WithMode chooses relay or direct per call (subscribers' media_anchor);
// "" means media.anchor. It is asked once per call, at its first SDP, when
// CallerNumber and CalleeNumber are known.
func WithMode(f func(*call.Call) config.Anchor) Option { return func(s *Server) { s.mode = f } }

// New builds the media server for cfg (media.* of the configuration). With
// media.enabled false it holds no ports and every call passes through.
func New(cfg config.Media, opts ...Option) (*Server, error) {
	s := &Server{cfg: cfg, log: slog.New(slog.DiscardHandler), clock: clock.New(), listen: net.ListenPacket,
		local: defaultLocal, timeout: cfg.Timeout, anchors: map[*call.Call]*anchor{}}
	for _, o := range opts {
		o(s)
	}
	if !cfg.Enabled {
		return s, nil
	}
	if cfg.Anchor != config.AnchorRelay && cfg.Anchor != config.AnchorDirect {
		return nil, fmt.Errorf("new media server: anchor %q: %w", cfg.Anchor, ErrBadConfig)
	}
	p, err := NewPorts(cfg.RTPPorts.Min, cfg.RTPPorts.Max, cfg.PortDrain, WithPortsClock(s.clock), WithPortsListen(s.listen))
	if err != nil {
		return nil, fmt.Errorf("new media server: %w", err)
	}
	s.ports = p
	if s.svc, err = newServices(cfg, s.clock); err != nil {
		p.Close()
		return nil, fmt.Errorf("new media server: %w", err)
	}
	if s.timeout > 0 {
		s.mu.Lock()
		s.sweeper = s.clock.AfterFunc(s.sweepEvery(), s.sweep)
		s.mu.Unlock()
	}
	return s, nil
}

// Enabled reports whether the media server is on (media.enabled).
func (s *Server) Enabled() bool { return s.cfg.Enabled }

// Require is what a service that needs the media server (pickup,
// notification, intervention, prompts, conferences) checks first: nil when
// it is on, else an error the call layer answers with 486 Busy Here (the
// manual: the caller hears busy tone).
func (s *Server) Require() error {
	if s.cfg.Enabled {
		return nil
	}
	return &sipx.StatusError{Code: 486, Reason: "Busy Here", Err: fmt.Errorf("require media server: %w", ErrDisabled)}
}

// Seam is the call layer's media factory (call.WithMedia(s.Seam)): every
// bridge of a call gets a seam onto the call's one anchor.
func (s *Server) Seam(c *call.Call) call.Media {
	if !s.cfg.Enabled {
		return call.PassThrough{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.anchors[c]
	if !ok {
		a = &anchor{s: s, c: c, legs: map[*call.Leg]*legState{}}
		if s.closed {
			a.closed = true
		} else {
			s.anchors[c] = a
		}
	}
	a.mu.Lock()
	a.refs++
	a.mu.Unlock()
	return &seam{a: a}
}

func (s *Server) forget(a *anchor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.anchors[a.c] == a {
		delete(s.anchors, a.c)
	}
}

func (s *Server) modeOf(c *call.Call) config.Anchor {
	m := config.AnchorInherit
	if s.mode != nil {
		m = s.mode(c)
	}
	if m == config.AnchorInherit {
		m = s.cfg.Anchor
	}
	return m
}

// legLocal is what the anchor asks a leg that knows how the PBX faces its
// peer (the call layer's sipx.Local for the leg's dialog). *call.Leg does
// not expose it yet; the anchor then derives the peer from the leg's SDP.
type legLocal interface{ Local() sipx.Local }

// localFor picks the PBX address facing leg l, whose media peer is peer
// (maybe unknown).
// media.advertise overrides the address it advertises.
func (s *Server) localFor(l *call.Leg, peer netip.Addr) (Local, bool) {
	var loc Local
	if ll, ok := any(l).(legLocal); ok && ll.Local().Addr.IsValid() {
		sl := ll.Local()
		bind := sl.Bind.Addr()
		if !bind.IsValid() {
			bind = sl.Addr.Addr()
		}
		loc = Local{Bind: bind.Unmap(), Advertise: sl.Addr.Addr().Unmap()}
	} else {
		var ok bool
		if loc, ok = s.local(peer.Unmap()); !ok {
			return Local{}, false
		}
	}
	switch a := s.cfg.Advertise; a {
	case "":
	case config.MediaAdvertiseRoute:
		if p := peer.Unmap(); p.IsValid() && !p.IsUnspecified() {
			if r, ok := defaultLocal(p); ok {
				loc.Advertise = r.Advertise
			}
		}
	default:
		if ip, err := netip.ParseAddr(a); err == nil { // validated by config
			loc.Advertise = ip.Unmap()
		}
	}
	return loc, true
}

// defaultLocal binds the unspecified address of peer's family and
// advertises the local address the kernel routes to peer from.
func defaultLocal(peer netip.Addr) (Local, bool) {
	network, bind := "udp4", netip.IPv4Unspecified()
	if peer.Is6() {
		network, bind = "udp6", netip.IPv6Unspecified()
	}
	if !peer.IsValid() || peer.IsUnspecified() {
		return Local{Bind: bind, Advertise: netip.AddrFrom4([4]byte{127, 0, 0, 1})}, true
	}
	c, err := net.DialUDP(network, nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(peer, 9)))
	if err != nil {
		return Local{}, false
	}
	defer c.Close()
	src := c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap().WithZone("")
	return Local{Bind: bind, Advertise: src}, src.IsValid()
}

// sweepEvery is how often idle endpoints are looked for: a quarter of the
// timeout (a call ends between timeout and 1.25 × timeout after its last
// packet), between 10 ms and 5 s.
func (s *Server) sweepEvery() time.Duration {
	return min(max(s.timeout/4, 10*time.Millisecond), 5*time.Second)
}

// sweep posts a timeout check to every call with an endpoint that has been
// idle for the timeout and is relayed; the check itself (anchor.go) runs
// on the call's executor, where the legs' states can be read.
func (s *Server) sweep() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	anchors := make([]*anchor, 0, len(s.anchors))
	for _, a := range s.anchors {
		anchors = append(anchors, a)
	}
	s.sweeper = s.clock.AfterFunc(s.sweepEvery(), s.sweep)
	s.mu.Unlock()
	for _, a := range anchors {
		for _, le := range a.endpoints() {
			if le.ep.Peer() != nil && le.ep.Idle() >= s.timeout && a.checking.CompareAndSwap(false, true) {
				a.c.Do(a.checkTimeout)
				break
			}
		}
	}
}

// PortStats counts the RTP port pairs in use, draining and free.
func (s *Server) PortStats() PortStats {
	if s.ports == nil {
		return PortStats{}
	}
	return s.ports.Stats()
}

// LegMediaStats is one anchored leg as Snapshot reports it.
type LegMediaStats struct {
	Leg   string         // the leg's ID in its call ("a", "b1")
	Local netip.AddrPort // the PBX's RTP address facing the leg
	Stats Stats
}

// Snapshot returns, per anchored call (by call ID), its legs' endpoints
// and their statistics.
func (s *Server) Snapshot() map[string][]LegMediaStats {
	s.mu.Lock()
	anchors := make([]*anchor, 0, len(s.anchors))
	for _, a := range s.anchors {
		anchors = append(anchors, a)
	}
	s.mu.Unlock()
	out := map[string][]LegMediaStats{}
	for _, a := range anchors {
		for _, le := range a.endpoints() {
			out[a.c.ID()] = append(out[a.c.ID()], LegMediaStats{Leg: le.leg.ID(), Local: le.ep.Addr(), Stats: le.ep.Stats()})
		}
	}
	return out
}

// Close stops the sweeper and releases every endpoint (the PBX closes the
// call layer first, so no call is left to use them). Idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	if s.sweeper != nil {
		s.sweeper.Stop()
	}
	anchors := make([]*anchor, 0, len(s.anchors))
	for _, a := range s.anchors {
		anchors = append(anchors, a)
	}
	s.mu.Unlock()
	for _, a := range anchors {
		a.mu.Lock()
		a.closed = true
		for l, st := range a.legs {
			a.drop(st)
			delete(a.legs, l)
		}
		a.mu.Unlock()
		s.forget(a)
	}
	if s.svc != nil {
		s.svc.pacer.Close()
	}
	if s.ports != nil {
		s.ports.Close()
	}
	s.reactorOnce.Do(func() {}) // none may start after this
	if s.reactor != nil {
		s.reactor.close()
	}
	return nil
}

// reactorFor returns the reactor for pair's sockets: started on the first
// kernel UDP socket, nil for others (internal/memnet).
func (s *Server) reactorFor(pair *Pair) *reactor {
	if _, ok := pair.RTP.(*net.UDPConn); !ok {
		return nil
	}
	s.reactorOnce.Do(func() {
		r, err := newReactor(runtime.GOMAXPROCS(0), s.ports.Pairs())
		if err != nil {
			s.log.Warn("rtp reactor unavailable: one goroutine per socket", "error", err)
			return
		}
		s.reactor = r
	})
	return s.reactor
}

// Endpoint returns the PBX's endpoint facing leg l of call c (nil when the
// call is not anchored or l has no media yet): what a service plays to
// (Endpoint.Send with SetOverride) or listens on (SetReceiver). Call it on
// the call's executor.
func (s *Server) Endpoint(c *call.Call, l *call.Leg) *Endpoint {
	s.mu.Lock()
	a := s.anchors[c]
	s.mu.Unlock()
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if st := a.legs[l]; st != nil {
		return st.ep
	}
	return nil
}
