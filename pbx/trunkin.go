package pbx

import (
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/call"
)

// Inbound trunk calls. A peer takes inbound calls when it registers, has
// an acl, or says inbound: true. An INVITE is the trunk's when its source
// is in the peer's acl (IP:port, IP or CIDR), or (no acl) is one of the
// servers the peer's host resolved to, address and port: such a call is
// not challenged (a carrier cannot answer the PBX's digest). The port
// matters by default so that a phone on the carrier's host (a lab on one
// machine) is not taken for the carrier. The registration gives no
// authentication of its own: an INVITE to the registered contact user
// from any other source is challenged like every other call, so nobody
// reaches the trunk's DIDs by copying the carrier's Request-URI. The
// called number of a trunk call is its DID: the To user when the
// Request-URI is the PBX's registered contact (what a registrar's lookup
// makes of the DID, e.g. Kamailio's lookup("location")), else the
// Request-URI user.

// admits reports whether an INVITE from src is the trunk p's: its acl,
// else the servers its host resolved to, else its IP host and port.
func (p *peer) admits(src netip.AddrPort) bool {
	if !p.cfg.Inbound() {
		return false
	}
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	if len(p.cfg.ACL) > 0 {
		for _, e := range p.acl {
			if e.Admits(src) {
				return true
			}
		}
		return false
	}
	return p.has(src.String())
}

// inboundPeer is the first trunk (peers[] order) that admits an INVITE
// from src ("IP:port").
func (s *Server) inboundPeer(src string) (*peer, bool) {
	ap, err := netip.ParseAddrPort(src)
	if err != nil {
		return nil, false
	}
	for _, p := range s.peers {
		if p.admits(ap) {
			return p, true
		}
	}
	return nil, false
}

// trunkCaller identifies a call that came in from the trunk p: a trusted
// caller whose number is the From user, or the P-Asserted-Identity's
// when the peer is in the trust domain (caller_id.pai; RFC 3325 §9.1:
// anybody else's assertion is ignored), and whose called number is the
// DID.
func (s *Server) trunkCaller(p *peer, req *sip.Request) call.Caller {
	c := call.Caller{Number: req.From().Address.User, Trusted: true, Peer: p.cfg.Name}
	if p.cfg.CallerID.PAI {
		if u, ok := assertedUser(req); ok {
			c.Number = u
		}
	}
	if p.cfg.Registering() && req.Recipient.User == p.cfg.RegisterContactUser() {
		if to := req.To(); to != nil && to.Address.User != "" {
			c.Called = to.Address.User
		}
	}
	return c
}

// callerPeer is the trunk a call came in from, if any.
func (s *Server) callerPeer(c call.Caller) (*peer, bool) {
	if c.Peer == "" {
		return nil, false
	}
	return s.peerNamed(c.Peer)
}

// assertedUser is the user of the first sip: or sips: URI, else the
// number of the first tel: URI, of the P-Asserted-Identity headers.
func assertedUser(req *sip.Request) (string, bool) {
	for _, h := range req.GetHeaders("P-Asserted-Identity") {
		for _, v := range strings.Split(h.Value(), ",") {
			v = strings.TrimSpace(v)
			if i := strings.IndexByte(v, '<'); i >= 0 {
				v = v[i+1:]
				if j := strings.IndexByte(v, '>'); j >= 0 {
					v = v[:j]
				}
			}
			if num, ok := strings.CutPrefix(v, "tel:"); ok {
				num, _, _ = strings.Cut(num, ";")
				if num != "" {
					return num, true
				}
				continue
			}
			var u sip.Uri
			if err := sip.ParseUri(v, &u); err == nil && u.User != "" {
				return u.User, true
			}
		}
	}
	return "", false
}
