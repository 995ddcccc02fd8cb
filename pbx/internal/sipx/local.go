package sipx

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Local is how the PBX presents itself on one listening socket: the Via
// sent-by, the Contact host and the socket requests leave from.
type Local struct {
	Transport string // "udp" or "tcp"
	// Addr is the advertised address: Via sent-by and Contact.
	Addr netip.AddrPort
	// Bind is the listening socket's own address (e.g. 0.0.0.0:5060), which
	// UDP requests leave from; the zero value means Addr.
	Bind netip.AddrPort
}

// BranchToken marks every Via branch this PBX instance generates, so a
// request that comes back to us carrying one is a loop (RFC 3261 §16.3 (4)).
type BranchToken string

// NewBranchToken returns a random per-instance token.
func NewBranchToken() BranchToken { return BranchToken("pbx" + randHex(4)) }

// Branch returns a new RFC 3261 branch carrying the token.
func (t BranchToken) Branch() string {
	return sip.RFC3261BranchMagicCookie + string(t) + "." + randHex(8)
}

// Seen reports whether any Via of req carries a branch of this instance.
func (t BranchToken) Seen(req *sip.Request) bool {
	prefix := sip.RFC3261BranchMagicCookie + string(t) + "."
	for _, h := range req.GetHeaders("Via") {
		if v, ok := h.(*sip.ViaHeader); ok {
			if b, _ := v.Params.Get("branch"); strings.HasPrefix(b, prefix) {
				return true
			}
		}
	}
	return false
}

// Via returns a Via header for a request leaving from l.
func (l Local) Via(branch string) *sip.ViaHeader {
	p := sip.HeaderParams{{K: "branch", V: branch}, {K: "rport"}}
	return &sip.ViaHeader{
		ProtocolName: "SIP", ProtocolVersion: "2.0",
		Transport: strings.ToUpper(l.Transport),
		Host:      l.Addr.Addr().String(), Port: int(l.Addr.Port()),
		Params: p,
	}
}

// ContactURI is the URI the PBX puts in Contact for user on l.
func (l Local) ContactURI(user string) sip.Uri {
	u := sip.Uri{Scheme: "sip", User: user, Host: l.Addr.Addr().String(), Port: int(l.Addr.Port())}
	if l.Transport == "tcp" {
		u.UriParams.Add("transport", "tcp")
	}
	return u
}

// Contact returns a Contact header for user on l.
func (l Local) Contact(user string) *sip.ContactHeader {
	return &sip.ContactHeader{Address: l.ContactURI(user)}
}

// Prepare sets where req goes and which socket it leaves from: the
// transport, the destination host:port, and for UDP the listening socket
// (so replies and NAT bindings see the PBX's well-known port). sipgo finds
// that socket by its local address, Bind, not by the advertised Addr.
func (l Local) Prepare(req *sip.Request, dest string) {
	req.SetTransport(strings.ToUpper(l.Transport))
	req.SetDestination(dest)
	if l.Transport == "udp" {
		b := l.Bind
		if !b.IsValid() {
			b = l.Addr
		}
		req.Laddr = sip.Addr{IP: net.IP(b.Addr().AsSlice()), Port: int(b.Port())}
	}
}

// NewTag returns a random From/To tag.
func NewTag() string { return randHex(8) }

// NewCallID returns a random Call-ID.
func NewCallID() string { return randHex(16) }

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// HostPort formats an address for a SIP URI host:port (IPv6 in brackets).
func HostPort(ap netip.AddrPort) string {
	return net.JoinHostPort(ap.Addr().String(), strconv.Itoa(int(ap.Port())))
}
