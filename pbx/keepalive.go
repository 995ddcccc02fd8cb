package pbx

import (
	"context"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/config"
)

// runKeepalive sends an OPTIONS to every registered UDP contact every
// registrar.keepalive, spread over the interval, until ctx ends: the NAT in
// front of a phone sees traffic and keeps the mapping the PBX reaches the
// phone through (Kamailio's nathelper pings the same way). Answers are
// not needed; a contact that does not answer is only logged.
func (s *Server) runKeepalive(ctx context.Context) {
	every := s.cfg.Registrar.Keepalive
	if every <= 0 {
		return
	}
	next := s.clock.Now().Add(every)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(next.Sub(s.clock.Now())):
		}
		next = next.Add(every)
		bs, err := s.reg.Live(ctx)
		if err != nil {
			s.log.Warn("keepalive: list bindings", "error", err)
			continue
		}
		var udp []string
		for _, b := range bs {
			if strings.EqualFold(b.Transport, config.TransportUDP) {
				udp = append(udp, b.Target())
			}
		}
		gap := every / 2 / time.Duration(len(udp)+1) // over half the interval
		for i, target := range udp {
			if i > 0 && gap > time.Millisecond {
				select {
				case <-ctx.Done():
					return
				case <-s.clock.After(gap):
				}
			}
			s.ping(ctx, target)
		}
	}
}

// ping sends one keepalive OPTIONS to target (a registered contact, with
// the address its REGISTER came from); the answer, if any, is only logged.
func (s *Server) ping(ctx context.Context, target string) {
	var u sip.Uri
	if err := sip.ParseUri(target, &u); err != nil {
		return
	}
	ip, err := netip.ParseAddr(strings.Trim(u.Host, "[]"))
	if err != nil {
		return // a name: not a NATed phone's address
	}
	port := u.Port
	if port == 0 {
		port = 5060
	}
	dest := netip.AddrPortFrom(ip, uint16(port))
	go func() {
		if res, _ := s.options(ctx, u, dest, config.TransportUDP, 32*time.Second, nil); res != nil {
			s.log.Debug("keepalive answered", "contact", target, "status", res.StatusCode)
		} else {
			s.log.Debug("keepalive unanswered", "contact", target)
		}
	}()
}

// awaitUDPListeners waits until sipgo serves every UDP listener (polling
// every 10 ms, at most 10 s); false when ctx ended first.
func (s *Server) awaitUDPListeners(ctx context.Context) bool {
	n := 0
	for _, l := range s.listeners {
		if l.pc != nil {
			n++
		}
	}
	for deadline := s.clock.Now().Add(10 * time.Second); s.sip.Listening("udp") < n && s.clock.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return false
		case <-s.clock.After(10 * time.Millisecond):
		}
	}
	return ctx.Err() == nil
}
