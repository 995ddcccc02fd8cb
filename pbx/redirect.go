package pbx

import (
	"context"
	"fmt"
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
	sub, ok := s.subs[f.Callee]
	if !ok || !sub.FollowRedirects {
		return nil
	}
	var targets []call.Target
	for _, h := range f.Response.GetHeaders("Contact") {
		ch, ok := h.(*sip.ContactHeader)
		if !ok {
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
	return &call.Decision{Kind: call.ToSubscriber, Callee: f.Callee, Targets: targets,
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
