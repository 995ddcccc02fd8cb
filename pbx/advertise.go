package pbx

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/sipx"
)

// local returns how the PBX presents itself to peer over transport: the
// first listener of that transport and the peer's address family, with
// its advertised address (Via sent-by, Contact) and its own address (the
// socket UDP requests leave from). The call manager asks it for every peer.
func (s *Server) local(transport string, peer netip.AddrPort) (sipx.Local, bool) {
	peerAddr := peer.Addr().Unmap()
	v6 := peerAddr.Is6()
	for _, l := range s.listeners {
		bind := l.addr.AddrPort
		if l.addr.Transport != transport || bind.Addr().Is6() != v6 {
			continue
		}
		return sipx.Local{Transport: transport, Addr: s.advertised(l, peerAddr), Bind: bind}, true
	}
	return sipx.Local{}, false
}

// advertised is the address l presents to peer: the configured advertise
// address (its port defaulting to the listening port), else a specific
// listen address itself, else, for 0.0.0.0 or ::, the local address the
// kernel routes to peer from.
func (s *Server) advertised(l *listener, peer netip.Addr) netip.AddrPort {
	bind := l.addr.AddrPort
	if adv := l.addr.Advertise; adv.Addr().IsValid() {
		if adv.Port() == 0 {
			return netip.AddrPortFrom(adv.Addr(), bind.Port())
		}
		return adv
	}
	if !bind.Addr().IsUnspecified() {
		return bind
	}
	src, ok := s.routes.source(peer)
	if !ok {
		// No route (or no valid peer): loopback of the family is all an
		// unspecified address can honestly offer.
		src = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		if bind.Addr().Is6() {
			src = netip.IPv6Loopback()
		}
	}
	return netip.AddrPortFrom(src, bind.Port())
}

// Bounds of the source-address cache.
const (
	routeCacheTTL  = time.Minute
	routeCacheSize = 4096
)

// routeCache remembers which local address the kernel uses to reach a peer
// (the source address of a connected UDP socket, no packet sent), for a
// minute, so routing changes are seen and a call does not cost a socket.
type routeCache struct {
	clock  clock.Clock
	lookup func(netip.Addr) (netip.Addr, bool) // routeSource; faked in tests

	mu      sync.Mutex
	entries map[netip.Addr]routeEntry
}

type routeEntry struct {
	src netip.Addr
	at  time.Time
}

func newRouteCache(c clock.Clock) *routeCache {
	return &routeCache{clock: c, lookup: routeSource, entries: map[netip.Addr]routeEntry{}}
}

// source returns the local address that routes to peer.
func (r *routeCache) source(peer netip.Addr) (netip.Addr, bool) {
	if !peer.IsValid() || peer.IsUnspecified() {
		return netip.Addr{}, false
	}
	now := r.clock.Now()
	r.mu.Lock()
	e, ok := r.entries[peer]
	r.mu.Unlock()
	if ok && now.Sub(e.at) < routeCacheTTL {
		return e.src, true
	}
	src, ok := r.lookup(peer)
	if !ok {
		return netip.Addr{}, false
	}
	r.mu.Lock()
	if len(r.entries) >= routeCacheSize {
		clear(r.entries)
	}
	r.entries[peer] = routeEntry{src: src, at: now}
	r.mu.Unlock()
	return src, true
}

// routeSource asks the kernel which local address it would send to peer
// from: connecting a UDP socket picks the route and the source address
// without sending anything.
func routeSource(peer netip.Addr) (netip.Addr, bool) {
	network := "udp4"
	if peer.Is6() {
		network = "udp6"
	}
	c, err := net.DialUDP(network, nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(peer, 9)))
	if err != nil {
		return netip.Addr{}, false
	}
	defer c.Close()
	la, ok := c.LocalAddr().(*net.UDPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	// A link-local source carries the interface as zone, which has no place
	// in a Via or a SIP URI.
	src := la.AddrPort().Addr().Unmap().WithZone("")
	return src, src.IsValid() && !src.IsUnspecified()
}
