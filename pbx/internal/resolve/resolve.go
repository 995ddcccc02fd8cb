// Package resolve locates the SIP servers of a host name by DNS, as RFC 3263
// §4 says: an IP address (or a name with an explicit port) is used as is
// (A/AAAA for the name); else NAPTR (SIP+D2U, SIP+D2T, by order and
// preference) → SRV (_sip._udp, _sip._tcp; priority, then weighted random
// selection per RFC 2782) → A/AAAA; without NAPTR, SRV for the transport
// asked (both when none); without SRV, A/AAAA on port 5060. The result is an
// ordered list of targets: the caller tries the next one when a request
// times out or gets 503 (RFC 3263 §4.3).
//
// What DNS said is cached for the smallest TTL of the records used; the
// weighted order of SRV targets is drawn anew at every Lookup.
package resolve

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"pbxlab/internal/clock"
)

// Transports a target can have.
const (
	UDP = "udp"
	TCP = "tcp"
)

// DefaultPort is the port of a SIP server found without SRV (RFC 3263 §4.2).
const DefaultPort = 5060

// MaxChain bounds the CNAMEs followed for one query and the NAPTR
// replacements followed for one host: beyond it the answers count as a loop.
const MaxChain = 8

// Target is one place to send a request to.
type Target struct {
	Transport string // UDP or TCP
	Addr      netip.AddrPort
	// Name is the host name whose A/AAAA gave Addr (an SRV target or the
	// host itself); "" when the host was an IP address.
	Name string
}

func (t Target) String() string { return t.Transport + ":" + t.Addr.String() }

// Resolver finds where requests for a host go.
type Resolver interface {
	// Lookup resolves host ("name", "name:port", "192.0.2.1",
	// "[2001:db8::1]:5070") for transport (UDP, TCP, or "" to let NAPTR
	// decide) into targets in the order to try them. The error wraps one of
	// this package's sentinels.
	Lookup(ctx context.Context, host, transport string) ([]Target, error)
}

// Config is where and how long to ask.
type Config struct {
	// Servers are DNS servers (host:port, or an IP for port 53) asked in
	// order; none: the nameservers of /etc/resolv.conf.
	Servers []string
	// Timeout bounds one query to one server. Default 2s.
	Timeout time.Duration
}

// DNS is the Resolver that asks DNS servers (github.com/miekg/dns).
type DNS struct {
	servers  []string
	timeout  time.Duration
	log      *slog.Logger
	clock    clock.Clock
	exchange func(ctx context.Context, m *dns.Msg) (*dns.Msg, error)
	// resolvConf names the servers when Config.Servers is empty
	resolvConf string
	noServer   error // why there is no server to ask

	mu    sync.Mutex
	rng   *rand.Rand
	cache map[string]cached
}

type cached struct {
	plan    plan
	expires time.Time
}

// Option configures a DNS resolver.
type Option func(*DNS)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(d *DNS) { d.log = l } }

// WithClock sets the clock of the cache (default: the wall clock).
func WithClock(c clock.Clock) Option { return func(d *DNS) { d.clock = c } }

// WithRand sets the source of the SRV weighted selection (tests seed it).
func WithRand(r *rand.Rand) Option { return func(d *DNS) { d.rng = r } }

// WithResolvConf reads the servers from path instead of /etc/resolv.conf
// when Config.Servers is empty.
func WithResolvConf(path string) Option {
	return func(d *DNS) { d.resolvConf = path }
}

// New returns a resolver asking cfg.Servers (or the system's). Without
// servers (none configured, resolv.conf unreadable) it still resolves IP
// addresses; names fail with ErrServer saying why.
func New(cfg Config, opts ...Option) (*DNS, error) {
	d := &DNS{
		timeout: cfg.Timeout, log: slog.New(slog.DiscardHandler), clock: clock.New(),
		cache: map[string]cached{}, resolvConf: "/etc/resolv.conf",
	}
	for _, o := range opts {
		o(d)
	}
	if d.timeout <= 0 {
		d.timeout = 2 * time.Second
	}
	if d.rng == nil {
		d.rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	for _, s := range cfg.Servers {
		hp, err := serverAddr(s)
		if err != nil {
			return nil, fmt.Errorf("resolver: %w", err)
		}
		d.servers = append(d.servers, hp)
	}
	if len(d.servers) == 0 {
		cc, err := dns.ClientConfigFromFile(d.resolvConf)
		if err != nil {
			// names fail to resolve (IP addresses still work): a host
			// without resolv.conf (a FROM-scratch container) runs
			d.noServer = fmt.Errorf("%w: no DNS server configured and %s unreadable: %w", ErrServer, d.resolvConf, err)
		} else {
			for _, s := range cc.Servers {
				d.servers = append(d.servers, net.JoinHostPort(s, cc.Port))
			}
			if len(d.servers) == 0 {
				d.noServer = fmt.Errorf("%w: %s names no nameserver", ErrServer, d.resolvConf)
			}
		}
	}
	d.exchange = d.ask
	return d, nil
}

// Servers are the DNS servers asked, in order.
func (d *DNS) Servers() []string { return append([]string(nil), d.servers...) }

// serverAddr is s as host:port (port 53 when s is a bare IP).
func serverAddr(s string) (string, error) {
	if ip, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return net.JoinHostPort(ip.String(), "53"), nil
	}
	if _, err := netip.ParseAddrPort(s); err != nil {
		return "", fmt.Errorf("DNS server %q is not an IP address or IP:port: %w", s, ErrBadHost)
	}
	return s, nil
}

// Lookup implements Resolver.
func (d *DNS) Lookup(ctx context.Context, host, transport string) ([]Target, error) {
	name, port, err := SplitHost(host)
	if err != nil {
		return nil, fmt.Errorf("resolve %q: %w", host, err)
	}
	transport = strings.ToLower(transport)
	if transport != "" && transport != UDP && transport != TCP {
		return nil, fmt.Errorf("resolve %s: transport %q: %w", host, transport, ErrBadHost)
	}
	if ip, err := netip.ParseAddr(name); err == nil {
		if port == 0 {
			port = DefaultPort
		}
		return []Target{{Transport: orUDP(transport), Addr: netip.AddrPortFrom(ip.Unmap(), uint16(port))}}, nil
	}
	key := strings.ToLower(name) + "|" + strconv.Itoa(port) + "|" + transport
	d.mu.Lock()
	c, ok := d.cache[key]
	d.mu.Unlock()
	if !ok || !d.clock.Now().Before(c.expires) {
		l := &lookup{d: d, ctx: ctx, ttl: maxTTL}
		p, err := l.plan(name, port, transport)
		if err != nil {
			d.log.Warn("DNS lookup failed", "host", host, "transport", transport, "error", err)
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
		c = cached{plan: p, expires: d.clock.Now().Add(time.Duration(l.ttl) * time.Second)}
		d.mu.Lock()
		d.cache[key] = c
		d.mu.Unlock()
	}
	d.mu.Lock()
	ts := c.plan.order(d.rng)
	d.mu.Unlock()
	d.log.Debug("DNS lookup", "host", host, "transport", transport, "targets", len(ts))
	return ts, nil
}

func orUDP(t string) string {
	if t == "" {
		return UDP
	}
	return t
}

// SplitHost splits a SIP URI's hostport into the host (brackets of an IPv6
// address removed, trailing dot dropped) and the port (0: none given).
func SplitHost(hostport string) (string, int, error) {
	host, port := hostport, 0
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return "", 0, fmt.Errorf("port %q: %w", p, ErrBadHost)
		}
		host, port = h, n
	} else if strings.HasPrefix(hostport, "[") && strings.HasSuffix(hostport, "]") {
		host = hostport[1 : len(hostport)-1]
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Zone() != "" {
			return "", 0, fmt.Errorf("%q has a zone: %w", host, ErrBadHost)
		}
		return ip.String(), port, nil
	}
	host = strings.TrimSuffix(host, ".")
	if _, ok := dns.IsDomainName(host); !ok || host == "" || strings.HasPrefix(host, ".") || strings.HasSuffix(host, ".") || strings.ContainsAny(host, ":[]/@ ") || len(host) > 253 {
		return "", 0, fmt.Errorf("%q is neither an IP address nor a host name: %w", hostport, ErrBadHost)
	}
	return host, port, nil
}
