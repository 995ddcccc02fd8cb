package pbx

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/resolve"
	"pbxlab/pbx/internal/sipx"
)

// resolveTimeout bounds the DNS work for one target (every query of its
// NAPTR → SRV → A/AAAA chain together).
const resolveTimeout = 5 * time.Second

// initResolver builds the RFC 3263 resolver from the dns section, unless a
// test gave one (WithResolver).
func (s *Server) initResolver() error {
	if s.resolver != nil {
		return nil
	}
	r, err := resolve.New(resolve.Config{Servers: s.cfg.DNS.Servers, Timeout: s.cfg.DNS.Timeout},
		resolve.WithLogger(s.log), resolve.WithClock(s.clock))
	if err != nil {
		return err
	}
	s.resolver = r
	return nil
}

// hostPort is a URI's host as the resolver takes it: "host", or with an
// explicit port "host:port" (which skips NAPTR and SRV, RFC 3263 §4.2).
func hostPort(host string, port int) string {
	h := strings.Trim(host, "[]")
	switch {
	case port != 0:
		return net.JoinHostPort(h, strconv.Itoa(port))
	case strings.Contains(h, ":"):
		return "[" + h + "]"
	}
	return h
}

// resolveTarget locates the servers of t.URI (RFC 3263 §4) for transport
// ("" lets NAPTR choose): t.Dest and t.Transport become the first one the
// PBX has a listen address for (transport and IP family), t.Failover the
// others in order. The error names the host and wraps the resolver's
// sentinel (NXDOMAIN, a loop, a timeout ...).
func (s *Server) resolveTarget(ctx context.Context, t call.Target, transport string) (call.Target, error) {
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	ts, err := s.resolver.Lookup(ctx, hostPort(t.URI.Host, t.URI.Port), transport)
	if err != nil {
		return t, err
	}
	usable := make([]resolve.Target, 0, len(ts))
	for _, r := range ts {
		if _, ok := s.local(r.Transport, r.Addr); ok {
			usable = append(usable, r)
		}
	}
	if len(usable) == 0 {
		usable = ts // none fits a listener: originate says so
	}
	t.Transport, t.Dest = usable[0].Transport, usable[0].Addr.String()
	t.Failover = nil
	for _, r := range usable[1:] {
		t.Failover = append(t.Failover, call.Hop{Transport: r.Transport, Dest: r.Addr.String()})
	}
	return t, nil
}

// unresolvable is the refusal of a call whose every target failed to
// resolve: 503 naming the DNS cause (RFC 3263 §4.3: no server to try).
func unresolvable(number string, err error) error {
	return &sipx.StatusError{Code: 503, Reason: "Service Unavailable (DNS)", Err: fmt.Errorf("route %s: %w", number, err)}
}

// uriTransport is the transport parameter of u, lower case ("" if none).
func uriTransport(u sip.Uri) string {
	if u.UriParams == nil {
		return ""
	}
	t, _ := u.UriParams.Get("transport")
	return strings.ToLower(t)
}
