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
}

// String formats the address as in the configuration, "udp:[::1]:5060".
func (l ListenAddr) String() string { return l.Transport + ":" + l.AddrPort.String() }

// ParseListenAddr parses "transport:host:port" (transport udp or tcp, host an
// IP literal, IPv6 in brackets, port 0-65535), e.g. "udp:127.0.0.1:5060" or
// "tcp:[::1]:0".
func ParseListenAddr(s string) (ListenAddr, error) {
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
func (p TrustedPeer) Prefix() (netip.Prefix, error) {
	if strings.Contains(p.Address, "/") {
		pfx, err := netip.ParsePrefix(p.Address)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("address %q is not an IP or CIDR", p.Address)
		}
		return pfx.Masked(), nil
	}
	addr, err := netip.ParseAddr(p.Address)
	if err != nil || addr.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("address %q is not an IP or CIDR", p.Address)
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
