package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Peer is a server the PBX sends requests to: a carrier or another PBX.
// Today the PBX qualifies it (OPTIONS) and a call whose target is a
// peer's address fails at once while the peer is unreachable; the
// numbering issue grows peers into trunks.
type Peer struct {
	// Name identifies the peer in logs and metrics; unique. Required.
	Name string `yaml:"name"`
	// Host is an IP address or a name, located by DNS as RFC 3263 §4
	// says (NAPTR → SRV → A/AAAA; an explicit Port: A/AAAA only) when the
	// PBX starts and at every qualify, and tried in order: the next
	// target when one times out or answers 503. Required.
	Host string `yaml:"host"`
	// Port is the peer's port; 0 (unset): the port SRV gives, else 5060.
	Port int `yaml:"port"`
	// Transport is udp or tcp; unset: what NAPTR says, else udp.
	Transport string `yaml:"transport"`
	// Username and Password answer the peer's 401/407 challenges (the
	// PBX's own requests: OPTIONS qualify today). Default none.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// Qualify sends an OPTIONS this often; a peer that answers anything is
	// reachable, one that does not answer Unreachable times in a row is
	// unreachable. 0 turns qualifying off (the peer counts as reachable).
	// Else at least 1s. Default 0.
	Qualify time.Duration `yaml:"qualify"`
	// Unreachable is how many unanswered OPTIONS in a row make the peer
	// unreachable. Default 2.
	Unreachable int `yaml:"unreachable"`
	// SessionTimers override sip.session_timers for the calls the PBX
	// sends to this peer (zero fields: the global value). Default none.
	SessionTimers SessionTimers `yaml:"session_timers"`
	// MaxCalls bounds the calls a route has out to the peer at once (from
	// the INVITE until the peer fails or the call ends); a route skips a
	// full peer. 0: no limit. Default 0.
	MaxCalls int `yaml:"max_calls"`
	// MaxCallsPerSecond bounds the INVITEs a route sends the peer in any
	// one second; a route skips the peer beyond it. 0: no limit. Default 0.
	MaxCallsPerSecond int `yaml:"max_calls_per_second"`

	// Register makes the PBX register with the peer (trunks.go). Default
	// none: no registration.
	Register *TrunkRegister `yaml:"register"`
	// InboundCalls (inbound: true) accepts calls from the peer (its ACL,
	// else the servers its host resolves to) as the trunk's, without
	// digest. A peer with register or acl accepts them too. Default false.
	InboundCalls bool `yaml:"inbound"`
	// ACL are the sources whose INVITEs are the trunk's: IP:port (that
	// port only), IP or CIDR (any port). Default: the servers peers[].host
	// resolves to, address and port (so that phones on the carrier's host
	// are not the carrier).
	ACL []string `yaml:"acl"`
	// Context is the numbering context the called number (the DID) of a
	// call from the peer is analysed in. Default "default".
	Context string `yaml:"context"`
	// Device is the numbering device (numbering.devices) calls from the
	// peer originate at: its location is the caller's, and when the
	// device is in_domain its originating-device rules and tables rewrite
	// the DID before analysis (e.g. to an extension; the manual applies
	// no rule before analysis for a caller outside the LS domain).
	// Default none.
	Device string `yaml:"device"`
	// Transit lets calls from the peer go out through a route (to any
	// peer): a toll-fraud risk, hence off. Default false.
	Transit bool `yaml:"transit"`
	// CallerID is how calls to the peer present the caller (P-Asserted-
	// Identity, From user). Default: no P-Asserted-Identity, From the
	// calling number after substitution.
	CallerID CallerID `yaml:"caller_id"`
}

// DNS is the "dns" section.
type DNS struct {
	// Servers are the DNS servers asked, in order: "IP" (port 53) or
	// "IP:port". Default none: the nameservers of /etc/resolv.conf.
	Servers []string `yaml:"servers"`
	// Timeout bounds one query to one server. Must be > 0. Default 2s.
	Timeout time.Duration `yaml:"timeout"`
}

// PeerPort is the peer's port, 5060 when unset.
func (p Peer) PeerPort() int {
	if p.Port == 0 {
		return 5060
	}
	return p.Port
}

// PeerTransport is the peer's transport, udp when unset.
func (p Peer) PeerTransport() string {
	if p.Transport == "" {
		return TransportUDP
	}
	return strings.ToLower(p.Transport)
}

// Misses is how many unanswered OPTIONS make the peer unreachable.
func (p Peer) Misses() int {
	if p.Unreachable <= 0 {
		return 2
	}
	return p.Unreachable
}

func (v *validator) dns() {
	for i, s := range v.c.DNS.Servers {
		if _, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
			continue
		}
		if _, err := netip.ParseAddrPort(s); err != nil {
			v.errorf(fmt.Sprintf("dns.servers[%d]", i), "%q is not an IP address or IP:port", s)
		}
	}
	v.positive("dns.timeout", v.c.DNS.Timeout)
}

func (v *validator) peers() {
	names := map[string]int{}
	for i, p := range v.c.Peers {
		path := fmt.Sprintf("peers[%d]", i)
		v.uniqueName(names, "peer", "peers", i, p.Name)
		if p.Host == "" {
			v.errorf(path+".host", "host is required (an IP address or a name)")
		} else if strings.ContainsAny(p.Host, " /:@") {
			if _, err := netip.ParseAddr(p.Host); err != nil {
				v.errorf(path+".host", "%q is neither an IP address nor a host name", p.Host)
			}
		}
		if p.Port < 0 || p.Port > 65535 {
			v.errorf(path+".port", "must be 1-65535 (0: 5060), got %d", p.Port)
		}
		if t := p.PeerTransport(); t != TransportUDP && t != TransportTCP {
			v.errorf(path+".transport", "unknown transport %q (want udp or tcp)", p.Transport)
		}
		if p.Qualify != 0 && p.Qualify < time.Second {
			v.errorf(path+".qualify", "must be 0 (off) or at least 1s, got %s", p.Qualify)
		}
		if p.Unreachable < 0 {
			v.errorf(path+".unreachable", "must not be negative, got %d", p.Unreachable)
		}
		if p.MaxCalls < 0 {
			v.errorf(path+".max_calls", "must not be negative (0: no limit), got %d", p.MaxCalls)
		}
		if p.MaxCallsPerSecond < 0 {
			v.errorf(path+".max_calls_per_second", "must not be negative (0: no limit), got %d", p.MaxCallsPerSecond)
		}
		if (p.Username == "") != (p.Password == "") {
			v.errorf(path+".password", "username and password go together")
		}
		v.trunk(i, p)
	}
}

// uniqueName checks the name of the i-th element of the list key (peers,
// routes): required, and unique among the names seen so far.
func (v *validator) uniqueName(names map[string]int, what, key string, i int, name string) {
	path := fmt.Sprintf("%s[%d].name", key, i)
	switch j, dup := names[name]; {
	case name == "":
		v.errorf(path, "%s name is required", what)
	case dup:
		v.errorf(path, "duplicate %s %q (also %s[%d])", what, name, key, j)
	default:
		names[name] = i
	}
}
