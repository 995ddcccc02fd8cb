package testua

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sdpneg"
)

// NewBranch returns a fresh RFC 3261 §8.1.1.7 branch (z9hG4bK + random).
func NewBranch() string { return sip.RFC3261BranchMagicCookie + randomHex(10) }

// NewTag returns a fresh From/To tag (RFC 3261 §19.3).
func NewTag() string { return randomHex(8) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// URI is target as a SIP URI: a number or user ("1001") becomes
// sip:1001@Domain; anything starting with "sip:" or "sips:" is parsed as
// is (an unparsable one falls back to the user form).
func (u *UA) URI(target string) sip.Uri {
	s := target
	if !strings.HasPrefix(s, "sip:") && !strings.HasPrefix(s, "sips:") {
		s = "sip:" + target + "@" + u.cfg.Domain
	}
	var uri sip.Uri
	if err := sip.ParseUri(s, &uri); err != nil {
		_ = sip.ParseUri("sip:"+u.cfg.User+"@"+u.cfg.Domain, &uri)
	}
	return uri
}

// ContactURI is the UA's own address: sip:User@Local, with
// ;transport=tcp over TCP.
func (u *UA) ContactURI() sip.Uri {
	uri := sip.Uri{Scheme: "sip", User: u.cfg.User, Host: u.local.Addr().String(), Port: int(u.local.Port())}
	if u.transport == "tcp" {
		uri.UriParams = sip.HeaderParams{{K: "transport", V: "tcp"}}
	}
	return uri
}

// contactFor is ContactURI with user as the user part.
func (u *UA) contactFor(user string) *sip.ContactHeader {
	c := u.ContactURI()
	if user != "" {
		c.User = user
	}
	return &sip.ContactHeader{Address: c}
}

// NewVia is a top Via for a new client transaction: the UA's transport
// and address, rport (RFC 3581) and a fresh branch.
func (u *UA) NewVia() *sip.ViaHeader {
	return &sip.ViaHeader{
		ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: strings.ToUpper(u.transport),
		Host: u.local.Addr().String(), Port: int(u.local.Port()),
		Params: sip.HeaderParams{{K: "branch", V: NewBranch()}, {K: "rport", V: ""}},
	}
}

// NewRequest builds an out-of-dialog request to target (see URI):
// Request-URI and To = target, From = sip:User@Domain with a fresh tag, a
// fresh Call-ID, CSeq 1, a Via with rport and a fresh branch, Max-Forwards
// 70, Contact for the methods that carry one, Content-Length 0. Change it
// freely before sending.
func (u *UA) NewRequest(method sip.RequestMethod, target string) *sip.Request {
	to := u.URI(target)
	req := sip.NewRequest(method, to)
	req.AppendHeader(u.NewVia())
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(&sip.FromHeader{Address: u.URI(u.cfg.User), Params: sip.HeaderParams{{K: "tag", V: NewTag()}}})
	req.AppendHeader(&sip.ToHeader{Address: to, Params: sip.HeaderParams{}})
	id := sip.CallIDHeader(randomHex(12) + "@" + u.local.Addr().String())
	req.AppendHeader(&id)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: method})
	if hasContact(method) {
		req.AppendHeader(u.contactFor(""))
	}
	req.SetBody(nil)
	req.SetTransport(u.transport)
	return req
}

// hasContact: the methods whose requests carry a Contact (RFC 3261 §20
// table 3, RFC 3311 for UPDATE).
func hasContact(m sip.RequestMethod) bool {
	switch m {
	case sip.INVITE, sip.REGISTER, sip.OPTIONS, sip.SUBSCRIBE, sip.NOTIFY, sip.REFER, sip.UPDATE:
		return true
	}
	return false
}

// NewInvite is NewRequest(INVITE, target) carrying sdp as its
// application/sdp body; nil sdp leaves it without a body (late offer:
// RFC 3261 §13.2.1, the offer then comes in the 2xx and the answer in the
// ACK).
func (u *UA) NewInvite(target string, sdp []byte) *sip.Request {
	req := u.NewRequest(sip.INVITE, target)
	if sdp != nil {
		SetBody(req, "application/sdp", sdp)
	}
	return req
}

// SetBody replaces m's body and Content-Length, and sets its Content-Type
// (removed when body is empty).
func SetBody(m sip.Message, contentType string, body []byte) {
	removeHeader(m, "Content-Type")
	if len(body) > 0 && contentType != "" {
		ct := sip.ContentTypeHeader(contentType)
		m.AppendHeader(&ct)
	}
	m.SetBody(body)
}

func removeHeader(m sip.Message, name string) {
	switch m := m.(type) {
	case *sip.Request:
		m.RemoveHeader(name)
	case *sip.Response:
		m.RemoveHeader(name)
	}
}

// Offer returns a fresh sendrecv SDP offer (internal/sdpneg: PCMU, PCMA,
// telephone-event) for an RTP port at the UA's address; no socket listens
// there.
func (u *UA) Offer() []byte {
	b, err := sdpneg.Offer(u.rtpAddr(), sdpneg.DefaultCodecs(), sessionID())
	if err != nil {
		u.log.Error("test ua: build sdp offer", "error", err) // cannot happen with the default codecs
	}
	return b
}

// Answer returns the SDP answer (internal/sdpneg) to offer, or an error
// when the offer is unusable (a UAS answers 488).
func (u *UA) Answer(offer []byte) ([]byte, error) {
	s, err := sdpneg.Parse(offer)
	if err != nil {
		return nil, fmt.Errorf("answer sdp: %w", err)
	}
	b, _, err := sdpneg.Answer(s, u.rtpAddr(), sdpneg.DefaultCodecs(), sessionID())
	if err != nil {
		return nil, fmt.Errorf("answer sdp: %w", err)
	}
	return b, nil
}

// rtpAddr is the next even RTP port at the UA's address.
func (u *UA) rtpAddr() netip.AddrPort {
	u.mu.Lock()
	defer u.mu.Unlock()
	p := u.rtpPort
	u.rtpPort += 2
	if u.rtpPort > 60000 {
		u.rtpPort = 40000
	}
	return netip.AddrPortFrom(u.local.Addr(), p)
}

func sessionID() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:]) >> 2 // SDP o= numbers fit in 62 bits
}
