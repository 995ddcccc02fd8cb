package pbx

import (
	"strings"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/call"
)

// Caller ID rules. A caller restricts the presentation of its number
// (RFC 3323) by a per-call code (*67<num>, *31*<num>#; *82<num> shows it
// whatever else says), by the permanent setting (*31# / #31#, else
// subscribers[].clir: callerid_codes.go), by a Privacy header naming id, or by
// an anonymous From (a trunk's inbound call): every target then sees
// From "Anonymous" <sip:anonymous@anonymous.invalid> and Privacy: id. A
// peer in the trust domain (peers[].caller_id.pai) gets the caller's
// number in P-Asserted-Identity all the same (RFC 3325 §7: the trust
// domain honours the privacy itself); no other target gets a
// P-Asserted-Identity, and the B2BUA never relays one (RFC 3325 §5). A
// peer's caller_id.from_user replaces the calling number in From.

// Anonymous identity (RFC 3323 §4.1.1.3).
const (
	anonymousName = "Anonymous"
	anonymousUser = "anonymous"
	anonymousHost = "anonymous.invalid"
)

// withCallerID sets how each target of d sees the caller of in.
func (s *Server) withCallerID(in call.Incoming, d call.Decision) call.Decision {
	if len(d.Targets) == 0 {
		return d
	}
	anon := s.restricted(in)
	calling := d.Calling
	if calling == "" {
		calling = in.Caller.Number
	}
	targets := make([]call.Target, len(d.Targets))
	for i, t := range d.Targets {
		var p *peer
		if t.Peer != "" {
			p, _ = s.peerNamed(t.Peer)
		}
		t.Identity = identityFor(p, calling, anon)
		targets[i] = t
	}
	d.Targets = targets
	return d
}

// identityFor is what a target at peer p (nil: a phone, a subscriber's
// contact) is shown of a caller whose presented number is calling; nil:
// the call layer's default (From the calling number at the PBX).
func identityFor(p *peer, calling string, anon bool) *call.Identity {
	var id call.Identity
	if p != nil {
		id.User = p.cfg.CallerID.FromUser
		if p.cfg.CallerID.PAI && calling != "" && !strings.EqualFold(calling, anonymousUser) {
			u := sip.Uri{Scheme: "sip", User: calling, Host: registrarURI(p.cfg).Host}
			id.Headers = append(id.Headers, sip.NewHeader("P-Asserted-Identity", "<"+u.String()+">"))
		}
	}
	if anon {
		id.Name, id.User, id.Host = anonymousName, anonymousUser, anonymousHost
		id.Headers = append(id.Headers, sip.NewHeader("Privacy", "id"))
	}
	if id.User == "" && id.Name == "" && len(id.Headers) == 0 {
		return nil
	}
	return &id
}

// restricted reports whether the caller of in restricts the presentation
// of its number.
func (s *Server) restricted(in call.Incoming) bool {
	if r, decided := s.subscriberRestricts(in); decided {
		return r // a per-call code, the permanent setting (callerid_codes.go)
	}
	req := in.Request
	if req == nil {
		return false
	}
	if from := req.From(); from != nil && strings.EqualFold(from.Address.User, anonymousUser) {
		return true
	}
	return privacyID(req)
}

// privacyID reports whether req's Privacy headers ask for id or header
// privacy (RFC 3323 §4.2, RFC 3325 §9.3).
func privacyID(req *sip.Request) bool {
	for _, h := range req.GetHeaders("Privacy") {
		for _, v := range strings.FieldsFunc(h.Value(), func(r rune) bool { return r == ';' || r == ',' || r == ' ' }) {
			if strings.EqualFold(v, "id") || strings.EqualFold(v, "header") {
				return true
			}
		}
	}
	return false
}
