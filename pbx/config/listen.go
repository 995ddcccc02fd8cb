package config

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// SIP transports accepted in sip.listen.
const (
	TransportUDP = "udp"
	TransportTCP = "tcp"
)

// ListenAddr is one parsed sip.listen entry.
type ListenAddr struct {
	Transport string         // "udp" or "tcp"
	AddrPort  netip.AddrPort // IP literal and port (0 = ephemeral)
	// Advertise is the address put in Via sent-by and Contact of what the
	// PBX sends from this listener (Kamailio's "advertise", Asterisk's
	// external address). Port 0 means the listening port. The zero value
	// means automatic: the listen address when it is specific, else the
	// local address the kernel picks to reach each peer.
	Advertise netip.AddrPort
}

// advertiseKeyword separates a listen address from its advertised address
// in a sip.listen entry, as in Kamailio's listen directive.
const advertiseKeyword = "advertise"

// String formats the address as in the configuration, "udp:[::1]:5060" or
// "udp:0.0.0.0:5060 advertise 203.0.113.5:5060".
func (l ListenAddr) String() string {
	s := l.Transport + ":" + l.AddrPort.String()
	switch {
	case !l.Advertise.Addr().IsValid():
	case l.Advertise.Port() == 0:
		s += " " + advertiseKeyword + " " + l.Advertise.Addr().String()
	default:
		s += " " + advertiseKeyword + " " + l.Advertise.String()
	}
	return s
}

// ParseListenAddr parses "transport:host:port" (transport udp or tcp, host an
// IP literal, IPv6 in brackets, port 0-65535), e.g. "udp:127.0.0.1:5060" or
// "tcp:[::1]:0", optionally followed by "advertise IP[:PORT]", e.g.
// "udp:0.0.0.0:5060 advertise 203.0.113.5:5060" or
// "udp:[::]:5060 advertise 2001:db8::5". The advertised address is an IP
// literal of the listen address's family, neither unspecified nor
// multicast; without a port the listening port is advertised.
func ParseListenAddr(s string) (ListenAddr, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return ListenAddr{}, fmt.Errorf("%q is not transport:host:port (e.g. \"udp:127.0.0.1:5060\")", s)
	}
	la, err := parseBind(fields[0])
	if err != nil {
		return ListenAddr{}, err
	}
	switch {
	case len(fields) == 1:
		return la, nil
	case fields[1] != advertiseKeyword:
		return ListenAddr{}, fmt.Errorf("unexpected %q after %q (want \"%s IP[:PORT]\")", fields[1], fields[0], advertiseKeyword)
	case len(fields) == 2:
		return ListenAddr{}, fmt.Errorf("%q needs an address (e.g. \"%s %s 203.0.113.5:5060\")", advertiseKeyword, fields[0], advertiseKeyword)
	case len(fields) > 3:
		return ListenAddr{}, fmt.Errorf("unexpected %q after the advertised address", fields[3])
	}
	adv, err := parseAdvertise(fields[2])
	if err != nil {
		return ListenAddr{}, err
	}
	if adv.Addr().Is4() != la.AddrPort.Addr().Unmap().Is4() {
		return ListenAddr{}, fmt.Errorf("advertised %s is not of the listen address's family (%s)", adv.Addr(), la.AddrPort.Addr())
	}
	la.Advertise = adv
	return la, nil
}

// parseBind parses "transport:host:port".
func parseBind(s string) (ListenAddr, error) {
	transport, hostport, ok := strings.Cut(s, ":")
	if !ok {
		return ListenAddr{}, fmt.Errorf("%q is not transport:host:port (e.g. \"udp:127.0.0.1:5060\")", s)
	}
	if transport != TransportUDP && transport != TransportTCP {
		return ListenAddr{}, fmt.Errorf("unknown transport %q (want udp or tcp)", transport)
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return ListenAddr{}, fmt.Errorf("%q is not transport:host:port (IPv6 as \"udp:[::1]:5060\")", s)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return ListenAddr{}, fmt.Errorf("host %q is not an IP address", host)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return ListenAddr{}, fmt.Errorf("port %q out of range (want 0-65535)", port)
	}
	return ListenAddr{Transport: transport, AddrPort: netip.AddrPortFrom(addr, uint16(p))}, nil
}

// parseAdvertise parses "IP", "IP:PORT", "[IPv6]:PORT" or a bare IPv6
// address; port 0 in the result means "the listening port".
func parseAdvertise(s string) (netip.AddrPort, error) {
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("advertised host %q is not an IP address (host names are not supported)", host)
	}
	switch {
	case addr.Zone() != "":
		return netip.AddrPort{}, fmt.Errorf("advertised address %s may not have a zone", addr)
	case addr.IsUnspecified() || addr.IsMulticast():
		return netip.AddrPort{}, fmt.Errorf("advertised address %s must be a unicast address peers can reach", addr)
	}
	var p uint64
	if port != "" {
		if p, err = strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
			return netip.AddrPort{}, fmt.Errorf("advertised port %q out of range (want 1-65535)", port)
		}
	}
	return netip.AddrPortFrom(addr.Unmap(), uint16(p)), nil
}

// Listen returns the parsed sip.listen entries. Call it on a validated
// Config; entries that do not parse are left out.
func (c *Config) Listen() []ListenAddr {
	out := make([]ListenAddr, 0, len(c.SIP.Listen))
	for _, s := range c.SIP.Listen {
		if la, err := ParseListenAddr(s); err == nil {
			out = append(out, la)
		}
	}
	return out
}

// DefaultRealm returns the first of auth.realms, or the default realm
// (pbxlab, MD5 and SHA-256) when the list is empty.
func (c *Config) DefaultRealm() Realm {
	if len(c.Auth.Realms) == 0 {
		return Realm{Name: DefaultRealmName, Algorithms: defaultAlgorithms()}
	}
	r := c.Auth.Realms[0]
	r.Algorithms = append([]Algorithm(nil), r.Algorithms...)
	return r
}

// LookupRealm returns the realm called name.
func (c *Config) LookupRealm(name string) (Realm, bool) {
	for _, r := range c.Auth.Realms {
		if r.Name == name {
			r.Algorithms = append([]Algorithm(nil), r.Algorithms...)
			return r, true
		}
	}
	return Realm{}, false
}

// DemoPassword is the password template of the demo population; a password
// following it is guessable by anyone who read the documentation.
const DemoPassword = "demo{n}"

// IsDemoCredentials reports whether the configuration uses the guessable
// demo credentials: a subscriber range with password "demo{n}" (the demo
// population 1000-1099) or an explicit subscriber whose password is "demo"
// followed by its number.
func (c *Config) IsDemoCredentials() bool {
	for _, r := range c.SubscriberRanges {
		if r.Password == DemoPassword {
			return true
		}
	}
	for _, s := range c.ExplicitSubscribers {
		if s.Number != "" && s.Password == strings.ReplaceAll(DemoPassword, "{n}", s.Number) {
			return true
		}
	}
	return false
}

// RequireLoopbackForDemo returns an error wrapping ErrDemoCredentialsExposed
// when the configuration uses demo credentials (IsDemoCredentials) and any
// sip.listen address is not a loopback address (0.0.0.0 and :: count as
// exposed, as does an entry that does not parse). It returns nil otherwise.
func (c *Config) RequireLoopbackForDemo() error {
	if !c.IsDemoCredentials() {
		return nil
	}
	for _, s := range c.SIP.Listen {
		la, err := ParseListenAddr(s)
		if err != nil || !la.AddrPort.Addr().Unmap().IsLoopback() {
			return fmt.Errorf("listen %s: %w", s, ErrDemoCredentialsExposed)
		}
	}
	return nil
}

// Prefix returns the peer's address as a prefix; a single IP is a /32 or
// /128.
func (p TrustedPeer) Prefix() (netip.Prefix, error) { return ParsePrefix(p.Address) }

// ParsePrefix parses an IP address ("192.0.2.5", "2001:db8::5", a
// prefix of its full length) or a CIDR prefix ("192.0.2.0/24"), masked;
// IPv4-mapped IPv6 addresses become IPv4.
func ParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("address %q is not an IP or CIDR", s)
		}
		return pfx.Masked(), nil
	}
	addr, err := netip.ParseAddr(s)
	if err != nil || addr.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("address %q is not an IP or CIDR", s)
	}
	addr = addr.Unmap()
	return netip.PrefixFrom(addr, addr.BitLen()), nil
}

// Contains reports whether addr belongs to the peer (IPv4-mapped IPv6
// addresses match their IPv4 form).
func (p TrustedPeer) Contains(addr netip.Addr) bool {
	pfx, err := p.Prefix()
	return err == nil && pfx.Contains(addr.Unmap())
}
