package registrar

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Binding is one contact bound to an address-of-record (RFC 3261 §10).
type Binding struct {
	// AOR is the canonical user part of the To URI, e.g. "1000" (see
	// CanonicalUser); the domain is not part of it.
	AOR string
	// Contact is the contact URI as received (re-serialised by sipgo),
	// e.g. "sip:1000@10.0.0.5:5062;transport=tcp". URI parameters and
	// escaped URI headers are kept; contact parameters (expires, q, others)
	// are not part of it. Bindings of one AOR are keyed by this string.
	Contact string
	// Received is the source address the REGISTER came from (zero when
	// unknown, e.g. for static bindings).
	Received netip.AddrPort
	// Transport is the transport the REGISTER came on: "udp", "tcp", ...
	Transport string
	// Expires is when the binding lapses; zero for static bindings.
	Expires time.Time
	// Q is the contact's preference, 0..1 (default 1.0).
	Q float64
	// CallID and CSeq of the REGISTER that last refreshed the binding,
	// for the ordering check of RFC 3261 §10.3 step 7.
	CallID string
	CSeq   uint32
	// Static bindings come from configuration and never expire.
	Static bool
	// UpdatedAt is when the binding was last written.
	UpdatedAt time.Time
}

// Target returns the URI to send requests for this binding to.
//
// If the REGISTER came from a different address than the contact's
// host:port (the phone is behind NAT, or advertises a name), the contact's
// host and port are replaced by Received and its transport parameter by the
// transport the REGISTER came on; maddr is dropped. That is "reach it where
// it really is" (RFC 3581 symmetric response routing applied to requests,
// as RFC 5626 does with flows): the NAT binding or the TCP connection the
// phone opened is the one path known to work. For TCP the B2BUA's sipgo
// client finds that connection in its pool by this address; once it is
// gone the binding is removed (DropFlow) and the PBX does not try it (see
// OverFlow) until the phone registers again. The user part and the
// other parameters are kept. If Received is unknown or equals the contact
// address, the contact is returned unchanged.
func (b Binding) Target() string {
	if !b.Received.IsValid() {
		return b.Contact
	}
	var u sip.Uri
	if err := sip.ParseUri(b.Contact, &u); err != nil {
		return b.Contact
	}
	if sameAddr(&u, b.Received) {
		return b.Contact
	}
	u.Host = b.Received.Addr().Unmap().String()
	u.Port = int(b.Received.Port())
	params := sip.NewParams()
	for _, kv := range u.UriParams {
		if k := strings.ToLower(kv.K); k != "transport" && k != "maddr" {
			params = append(params, kv)
		}
	}
	if t := strings.ToLower(b.Transport); t != "" && t != "udp" {
		params = append(params, sip.HeaderKV{K: "transport", V: t})
	}
	u.UriParams = params
	return u.String()
}

func sameAddr(u *sip.Uri, ap netip.AddrPort) bool {
	host := strings.TrimSuffix(strings.TrimPrefix(u.Host, "["), "]")
	addr, err := netip.ParseAddr(host)
	if err != nil || addr.Unmap() != ap.Addr().Unmap() {
		return false
	}
	port := u.Port
	if port == 0 {
		port = 5060
		if u.IsEncrypted() {
			port = 5061
		}
		if t, ok := u.UriParams.Get("transport"); ok && strings.EqualFold(t, "tls") {
			port = 5061
		}
	}
	return port == int(ap.Port())
}

// remaining is the whole seconds left until Expires, rounded up.
func (b Binding) remaining(now time.Time) int64 {
	d := b.Expires.Sub(now)
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// live reports whether b is static or not yet expired at now.
func (b Binding) live(now time.Time) bool { return b.Static || b.Expires.After(now) }

// CanonicalUser returns the canonical form of a SIP URI user part, so that
// escaped and unescaped spellings of the same user compare equal (RFC 3261
// §19.1.4): every %XX escape is decoded, then every octet outside the
// characters allowed unescaped in a user part is re-escaped as upper-case
// %XX. "%31000" becomes "1000"; "null-%00-null" stays as it is, so a NUL
// never truncates an AOR (RFC 4475 §3.1.1.4).
func CanonicalUser(s string) string {
	if !strings.ContainsAny(s, "%") && allUserChars(s) {
		return s
	}
	raw := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				raw = append(raw, byte(v))
				i += 2
				continue
			}
		}
		raw = append(raw, s[i])
	}
	var out strings.Builder
	for _, c := range raw {
		if userChar(c) {
			out.WriteByte(c)
			continue
		}
		out.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)|0x100, 16)[1:]))
	}
	return out.String()
}

func allUserChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if !userChar(s[i]) {
			return false
		}
	}
	return true
}

// userChar: unreserved / user-unreserved of RFC 3261 §25.1.
func userChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-_.!~*'()&=+$,;?/", c) >= 0
}
