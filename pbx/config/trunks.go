package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"pbxlab/pbx/internal/numbering"
)

// Trunk defaults.
const (
	DefaultTrunkExpires = time.Hour        // peers[].register.expires
	DefaultTrunkRetry   = 30 * time.Second // peers[].register.retry
)

// TrunkRegister is peers[].register: the PBX registers with the peer (a
// carrier's registrar) as RFC 3261 §10 says, answering its 401/407 with
// peers[].username and password, and keeps the binding fresh.
type TrunkRegister struct {
	// User is the user of the address-of-record registered (To and From:
	// sip:user@domain). Default peers[].username.
	User string `yaml:"user"`
	// Domain is the registrar's domain: the Request-URI sip:domain and
	// the host of the address-of-record. Default peers[].host (with
	// peers[].port when the host is an IP address).
	Domain string `yaml:"domain"`
	// Expires is the lifetime asked for (Expires header); the PBX
	// re-registers before the lifetime the carrier granted runs out.
	// Whole seconds (3600) or a duration ("1h"); at least 1s. Default 1h.
	Expires time.Duration `yaml:"expires" unit:"s"`
	// Retry is the pause after a failed REGISTER (no answer, a refusal,
	// credentials refused) before the next attempt. At least 1s.
	// Default 30s.
	Retry time.Duration `yaml:"retry"`
	// ContactUser is the user part of the Contact registered: the carrier
	// sends inbound calls to sip:contact_user@<the PBX's address>, and an
	// INVITE to it from the peer's addresses is the trunk's (its DID is
	// the To user). Default User.
	ContactUser string `yaml:"contact_user"`
}

// CallerID is peers[].caller_id: how calls out through the peer present
// the caller, and whether the peer's own assertions are believed.
type CallerID struct {
	// PAI puts the peer inside the PBX's trust domain (RFC 3325 §2.3):
	// calls to it carry P-Asserted-Identity with the caller's number (even
	// when the caller restricts presentation), and the P-Asserted-Identity
	// of a call from it names the caller. Without it the PBX sends no
	// P-Asserted-Identity to the peer and ignores the peer's. Default false.
	PAI bool `yaml:"pai"`
	// FromUser replaces the calling number in the From header of calls to
	// the peer (a trunk's main number instead of extensions); the
	// P-Asserted-Identity still carries the caller's own number after
	// substitution. Default "": the calling number after substitution.
	FromUser string `yaml:"from_user"`
}

// Registering reports whether the PBX registers with the peer.
func (p Peer) Registering() bool { return p.Register != nil }

// Inbound reports whether the peer sends calls to the PBX: it registers,
// or has an ACL, or says inbound: true.
func (p Peer) Inbound() bool { return p.InboundCalls || len(p.ACL) > 0 || p.Register != nil }

// NumberingContext is the context inbound calls from the peer are
// analysed in: peers[].context, "default" when unset.
func (p Peer) NumberingContext() string {
	if p.Context == "" {
		return "default"
	}
	return p.Context
}

// RegisterUser is the address-of-record user of the peer's registration.
func (p Peer) RegisterUser() string {
	if p.Register != nil && p.Register.User != "" {
		return p.Register.User
	}
	return p.Username
}

// RegisterContactUser is the Contact user of the peer's registration.
func (p Peer) RegisterContactUser() string {
	if p.Register != nil && p.Register.ContactUser != "" {
		return p.Register.ContactUser
	}
	return p.RegisterUser()
}

// RegisterExpires is the lifetime the PBX asks the peer for.
func (p Peer) RegisterExpires() time.Duration {
	if p.Register == nil || p.Register.Expires == 0 {
		return DefaultTrunkExpires
	}
	return p.Register.Expires
}

// RegisterRetry is the pause after a failed registration.
func (p Peer) RegisterRetry() time.Duration {
	if p.Register == nil || p.Register.Retry == 0 {
		return DefaultTrunkRetry
	}
	return p.Register.Retry
}

// ACLEntry is one entry of peers[].acl: addresses (a prefix) and, when
// Port is not 0, only that source port.
type ACLEntry struct {
	Prefix netip.Prefix
	Port   uint16
}

// Admits reports whether a request from src matches the entry.
func (e ACLEntry) Admits(src netip.AddrPort) bool {
	return e.Prefix.Contains(src.Addr().Unmap()) && (e.Port == 0 || e.Port == src.Port())
}

// ACLEntries parses peers[].acl (a valid configuration's).
func (p Peer) ACLEntries() []ACLEntry {
	out := make([]ACLEntry, 0, len(p.ACL))
	for _, s := range p.ACL {
		if e, err := parseACL(s); err == nil {
			out = append(out, e)
		}
	}
	return out
}

// parseACL parses an acl entry: IP:port ([IPv6]:port), IP or CIDR.
func parseACL(s string) (ACLEntry, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Port() != 0 {
		a := ap.Addr().Unmap()
		return ACLEntry{Prefix: netip.PrefixFrom(a, a.BitLen()), Port: ap.Port()}, nil
	}
	pfx, err := parseCIDR(s)
	return ACLEntry{Prefix: pfx}, err
}

// parseCIDR parses an IP (a /32 or /128) or a CIDR, masked and unmapped.
func parseCIDR(s string) (netip.Prefix, error) {
	if pfx, err := netip.ParsePrefix(s); err == nil {
		if pfx.Addr().Is4In6() {
			pfx = netip.PrefixFrom(pfx.Addr().Unmap(), max(pfx.Bits()-96, 0))
		}
		return pfx.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// trunk checks the trunk fields of peers[i].
func (v *validator) trunk(i int, p Peer) {
	path := fmt.Sprintf("peers[%d]", i)
	for j, s := range p.ACL {
		if _, err := parseACL(s); err != nil {
			v.errorf(fmt.Sprintf("%s.acl[%d]", path, j), "%q is not an IP address, IP:port or CIDR", s)
		}
	}
	if p.Device != "" && !v.hasDevice(p.Device) {
		v.errorf(path+".device", "unknown device %q (numbering.devices)", p.Device)
	}
	if p.CallerID.FromUser != "" && strings.ContainsAny(p.CallerID.FromUser, " @:;<>\"") {
		v.errorf(path+".caller_id.from_user", "%q is not a SIP user part", p.CallerID.FromUser)
	}
	r := p.Register
	if r == nil {
		return
	}
	rp := path + ".register"
	if p.RegisterUser() == "" {
		v.errorf(rp+".user", "a registration needs a user (register.user or peers[%d].username)", i)
	}
	if p.Username == "" {
		v.errorf(path+".username", "a registration needs username and password to answer the registrar's challenge")
	}
	if r.Domain != "" && strings.ContainsAny(r.Domain, " /@;<>") {
		v.errorf(rp+".domain", "%q is not a host name or IP address", r.Domain)
	}
	if r.Expires != 0 && r.Expires < time.Second {
		v.errorf(rp+".expires", "must be at least 1s (unset: %s), got %s", DefaultTrunkExpires, r.Expires)
	}
	if r.Retry != 0 && r.Retry < time.Second {
		v.errorf(rp+".retry", "must be at least 1s (unset: %s), got %s", DefaultTrunkRetry, r.Retry)
	}
	for _, f := range []struct{ name, val string }{{"user", r.User}, {"contact_user", r.ContactUser}} {
		if strings.ContainsAny(f.val, " @:;<>\"") {
			v.errorf(rp+"."+f.name, "%q is not a SIP user part", f.val)
		}
	}
}

// hasDevice reports whether numbering.devices names a device.
func (v *validator) hasDevice(name string) bool {
	for _, d := range v.c.Numbering.Devices {
		if d.Name == name {
			return true
		}
	}
	return false
}

// DeviceInDomain reports whether the named numbering device is inside
// the LS domain (numbering.devices[].in_domain).
func (c *Config) DeviceInDomain(name string) bool {
	for _, d := range c.Numbering.Devices {
		if d.Name == name {
			return d.InDomain
		}
	}
	return false
}

// DeviceLocation is where the named numbering device is (zero when it
// has no location or is unknown).
func (c *Config) DeviceLocation(name string) numbering.Location { return c.deviceLocation(name) }
