package pbx

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/call"
)

// followRedirect is the PBX's answer to a callee's 3xx when the callee's
// subscriber has follow_redirects: a decision that rings the 3xx's
// contacts, marked as a diversion (181 to the caller, Diversion header,
// loop detection in the call layer). Nil when the failure is no 3xx, the
// subscriber does not follow redirects, or no contact can be reached.
func (s *Server) followRedirect(ctx context.Context, f call.Failure) *call.Decision {
	if f.Response == nil || f.Response.StatusCode < 300 || f.Response.StatusCode > 399 {
		return nil
	}
	sub, ok := s.subscriber(f.Callee)
	if !ok || !sub.FollowRedirects {
		return nil
	}
	var targets []call.Target
	callee := f.Callee
	for _, h := range f.Response.GetHeaders("Contact") {
		ch, ok := h.(*sip.ContactHeader)
		if !ok {
			continue
		}
		if number, ok := s.ownSubscriber(ch.Address); ok {
			// a deflection to another of our numbers (sip:1003@pbx): ring
			// its bindings, and the call is now for that number (CDR,
			// its own follow_redirects for a further 3xx)
			ts, err := s.locate(ctx, number)
			if err != nil || len(ts) == 0 {
				s.log.Info("redirect contact skipped", "callee", f.Callee, "contact", ch.Address.String(), "error", err, "bindings", len(ts))
				continue
			}
			targets, callee = append(targets, ts...), number
			continue
		}
		t, err := s.redirectTarget(ctx, ch.Address)
		if err != nil {
			s.log.Info("redirect contact skipped", "callee", f.Callee, "contact", ch.Address.String(), "error", err)
			continue
		}
		targets = append(targets, t)
	}
	if len(targets) == 0 {
		return nil
	}
	reason := "deflection"
	if f.Response.StatusCode == 302 {
		reason = "unconditional"
	}
	from := sip.Uri{Scheme: "sip", User: f.Callee} // the call layer adds the host the caller dialled
	return &call.Decision{Kind: call.ToSubscriber, Callee: callee, Targets: targets,
		Diversion: &call.Diversion{From: from, Reason: reason}}
}

// redirectTarget turns a 3xx contact into a target: its host an IP, or a
// name located by DNS (RFC 3263: NAPTR → SRV → A/AAAA, dns.go), the
// transport from the URI (else what DNS says, else udp).
func (s *Server) redirectTarget(ctx context.Context, u sip.Uri) (call.Target, error) {
	if !strings.EqualFold(u.Scheme, "sip") {
		return call.Target{}, fmt.Errorf("scheme %q: %w", u.Scheme, ErrRedirectContact)
	}
	uri := *u.Clone()
	uri.Headers = nil
	t, err := s.resolveTarget(ctx, call.Target{URI: uri, Contact: *u.Clone()}, uriTransport(u))
	if err != nil {
		return call.Target{}, fmt.Errorf("%w: %w", ErrRedirectContact, err)
	}
	return t, nil
}

// ownSubscriber reports whether u names one of the PBX's subscribers at
// the PBX itself: its host one of the PBX's listen addresses (a listener
// on 0.0.0.0 or :: matches every local address; a URI without a port
// matches any listener of that address, as phones that register to a
// bare IP write it) or a digest realm's name, its user a subscriber.
func (s *Server) ownSubscriber(u sip.Uri) (string, bool) {
	if _, ok := s.subscriber(u.User); !ok {
		return "", false
	}
	host := strings.Trim(u.Host, "[]")
	for _, r := range s.cfg.Auth.Realms {
		if strings.EqualFold(host, r.Name) {
			return u.User, true
		}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return "", false
	}
	ip = ip.Unmap()
	for _, l := range s.listeners {
		la := l.addr.AddrPort
		if u.Port != 0 && la.Port() != uint16(u.Port) {
			continue
		}
		if la.Addr().Unmap() == ip || (la.Addr().IsUnspecified() && isLocalAddr(ip)) {
			return u.User, true
		}
	}
	return "", false
}

// isLocalAddr reports whether ip is one of this host's interface addresses
// (a listener on 0.0.0.0 or :: answers on each).
func isLocalAddr(ip netip.Addr) bool {
	if ip.IsLoopback() {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if pfx, err := netip.ParsePrefix(a.String()); err == nil && pfx.Addr().Unmap() == ip {
			return true
		}
	}
	return false
}
