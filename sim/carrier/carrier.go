// Package carrier simulates a SIP trunk provider (a carrier) for a PBX
// under test. A Carrier is a registrar with digest authentication for the
// PBX's trunk registration (RFC 3261 §10, §22), terminates the calls the
// PBX sends out through the trunk with a configurable behaviour per called
// number (answer after a ring delay with tone media, busy, any rejection
// code, no answer, silence, garbage), originates inbound calls to DIDs,
// and can fail or go silent on command for failover tests. It records the
// REGISTERs and INVITEs it receives so tests can assert on them.
//
// It is built on a sim/phone Agent: the call legs, media and audio checks
// are sim/phone's (the Calls it returns are *phone.Call). Like the rest of
// sim/ it knows nothing of pbxlab's own PBX. It listens on UDP or on TCP
// (Config.Transport).
package carrier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
	"pbxlab/sim/phone"
)

// terminator is the number of the catch-all phone that takes every call
// the PBX sends (its Contact is the carrier's in 200 OKs).
const terminator = "carrier"

// Defaults of Config.
const (
	DefaultMinExpires     = 60 * time.Second
	DefaultMaxExpires     = time.Hour
	DefaultDefaultExpires = time.Hour
)

// Account is a trunk account the PBX registers (and authenticates
// INVITEs) with, in the carrier's realm.
type Account struct {
	Username string
	Password string
}

// Config describes a Carrier. Every field has a usable zero value except
// Accounts, which a registering PBX needs.
type Config struct {
	// LocalIP is the address to bind and advertise; default 127.0.0.1.
	LocalIP netip.Addr
	// Port is the SIP port; 0 picks a free one.
	Port int
	// Transport is "udp" (default) or "tcp": the carrier listens and
	// sends on it (a PBX's trunk to it uses the same). On TCP, GoSilent
	// swallows the requests it receives (no response; the connections
	// stay up, as a hung carrier's) rather than every packet.
	Transport string
	// Domain is the carrier's SIP domain: the host of From in inbound
	// calls and of To with a DID; default LocalIP.
	Domain string
	// Realm is the digest realm of challenges; default Domain.
	Realm string
	// Accounts are the registrations (and INVITE credentials) accepted.
	Accounts []Account
	// MinExpires is the shortest registration accepted; shorter ones get
	// 423 Interval Too Brief with Min-Expires (RFC 3261 §10.3 step 7).
	// Default 60 s.
	MinExpires time.Duration
	// MaxExpires caps the lifetime granted; default 1 h.
	MaxExpires time.Duration
	// DefaultExpires is granted when a REGISTER asks for none; default 1 h.
	DefaultExpires time.Duration
	// ChallengeInvites makes the carrier answer INVITEs without valid
	// credentials 407 Proxy Authentication Required (the PBX answers with
	// its trunk credentials); default off: any INVITE is accepted, as from
	// an IP-authenticated trunk.
	ChallengeInvites bool
	// Default is the behaviour for called numbers Numbers does not match;
	// default answer at once.
	Default Behaviour
	// Numbers are behaviours per called number (Request-URI user),
	// matched by longest prefix.
	Numbers map[string]Behaviour
	// PBX is where inbound calls go as host:port for a trunk identified by
	// source address (Request-URI sip:DID@PBX); "" sends them to the
	// Contact the account registered.
	PBX string
	// SignallingOnly runs the call legs without RTP (load, benchmarks).
	SignallingOnly bool
	// ListenPacket, if set, opens the UDP socket (Transport udp only) instead of
	// net.ListenPacket, e.g. memnet.Network.ListenPacket (or a pbxtest
	// vnet Harness's) to run the carrier on an in-memory network in
	// virtual time; default net.ListenPacket.
	ListenPacket func(network, address string) (net.PacketConn, error)
}

// Option configures a Carrier.
type Option func(*options)

type options struct {
	log   *slog.Logger
	clock clock.Clock
	agent []phone.Option
}

// WithLogger sets the logger; default discards.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithClock sets the clock of ring delays, hang-up delays and
// registration lifetimes; default the wall clock.
func WithClock(c clock.Clock) Option { return func(o *options) { o.clock = c } }

// WithAgentOptions passes options to the underlying phone Agent (capture,
// quality registry, audio window ...).
func WithAgentOptions(opts ...phone.Option) Option {
	return func(o *options) { o.agent = append(o.agent, opts...) }
}

// Carrier is a simulated SIP trunk provider. All methods are safe for
// concurrent use.
type Carrier struct {
	cfg   Config
	log   *slog.Logger
	clock clock.Clock
	auth  *digestAuth
	conn  *switchConn
	agent *phone.Agent // set once started (c.mu for the handlers)
	term  *phone.Phone // the catch-all phone (likewise)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	closed    bool
	phones    map[string]*phone.Phone   // by number: callers and called numbers
	behaviour map[string]Behaviour      // SetBehaviour, by prefix ("" default)
	failCode  int                       // Fail; 0: none
	requests  map[sip.RequestMethod]int // every request received, by method
	regs      registrar
	invites   invites
	changed   chan struct{} // closed and replaced at every new record
}

// New starts a Carrier listening on cfg.LocalIP:cfg.Port (UDP or TCP,
// cfg.Transport). Close releases it.
func New(cfg Config, opts ...Option) (*Carrier, error) {
	o := options{log: slog.New(slog.DiscardHandler), clock: clock.New()}
	for _, f := range opts {
		f(&o)
	}
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	c := &Carrier{
		cfg:       cfg,
		log:       o.log,
		clock:     o.clock,
		phones:    map[string]*phone.Phone{},
		requests:  map[sip.RequestMethod]int{},
		behaviour: map[string]Behaviour{"": cfg.Default},
		changed:   make(chan struct{}),
	}
	for k, b := range cfg.Numbers {
		c.behaviour[k] = b
	}
	accounts := map[string]string{}
	for _, a := range cfg.Accounts {
		accounts[a.Username] = a.Password
	}
	c.auth = newDigestAuth(cfg.Realm, accounts)
	c.regs.bindings = map[string]*binding{}
	c.invites.byKey = map[string]int{}
	c.ctx, c.cancel = context.WithCancel(context.Background())

	agentOpts := append([]phone.Option{
		phone.WithLogger(o.log),
		phone.WithClock(o.clock),
		phone.WithUserAgent("pbxlab-carrier"),
		phone.WithRequestFilter(c.filter),
		phone.WithDefaultPhone(terminator),
	}, o.agent...)
	pcfg := phone.Config{
		LocalIP:        cfg.LocalIP,
		Port:           cfg.Port,
		Target:         cfg.PBX,
		Domain:         cfg.Domain,
		Transport:      cfg.Transport,
		SignallingOnly: cfg.SignallingOnly,
	}
	if cfg.Transport == phone.UDP {
		pcfg.ListenPacket = func(network, address string) (net.PacketConn, error) {
			listen := cfg.ListenPacket
			if listen == nil {
				listen = net.ListenPacket
			}
			pc, err := listen(network, address)
			if err != nil {
				return nil, err
			}
			c.conn = &switchConn{PacketConn: pc}
			return c.conn, nil
		}
	} else {
		c.conn = &switchConn{} // the switch only: filter swallows requests
	}
	a, err := phone.NewAgent(pcfg, agentOpts...)
	if err != nil {
		c.cancel()
		return nil, fmt.Errorf("new carrier: %w", err)
	}
	term, err := a.NewPhone(c.phoneConfig(terminator))
	if err != nil {
		_ = a.Close()
		c.cancel()
		return nil, fmt.Errorf("new carrier: %w", err)
	}
	// Requests may already arrive: the handlers read these under c.mu.
	c.mu.Lock()
	c.agent, c.term = a, term
	c.mu.Unlock()
	return c, nil
}

// fill applies the defaults and validates.
func (cfg *Config) fill() error {
	if !cfg.LocalIP.IsValid() {
		cfg.LocalIP = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	if cfg.Domain == "" {
		cfg.Domain = cfg.LocalIP.String()
	}
	if cfg.Realm == "" {
		cfg.Realm = cfg.Domain
	}
	cfg.Transport = strings.ToLower(cfg.Transport)
	if cfg.Transport == "" {
		cfg.Transport = phone.UDP
	}
	switch {
	case cfg.Transport != phone.UDP && cfg.Transport != phone.TCP:
		return fmt.Errorf("carrier transport %q: %w: want udp or tcp", cfg.Transport, ErrConfig)
	case cfg.Transport == phone.TCP && cfg.ListenPacket != nil:
		return fmt.Errorf("carrier transport tcp with ListenPacket: %w", ErrConfig)
	}
	if cfg.MinExpires <= 0 {
		cfg.MinExpires = DefaultMinExpires
	}
	if cfg.MaxExpires <= 0 {
		cfg.MaxExpires = DefaultMaxExpires
	}
	if cfg.DefaultExpires <= 0 {
		cfg.DefaultExpires = min(DefaultDefaultExpires, cfg.MaxExpires)
	}
	switch {
	case cfg.MinExpires > cfg.MaxExpires:
		return fmt.Errorf("carrier min_expires %s above max_expires %s: %w", cfg.MinExpires, cfg.MaxExpires, ErrConfig)
	case cfg.Port < 0 || cfg.Port > 65535:
		return fmt.Errorf("carrier port %d: %w", cfg.Port, ErrConfig)
	}
	seen := map[string]bool{}
	for i, a := range cfg.Accounts {
		if a.Username == "" {
			return fmt.Errorf("carrier accounts[%d].username: empty: %w", i, ErrConfig)
		}
		if seen[a.Username] {
			return fmt.Errorf("carrier accounts[%d].username %q: duplicate: %w", i, a.Username, ErrConfig)
		}
		seen[a.Username] = true
	}
	if err := cfg.Default.validate("default"); err != nil {
		return err
	}
	for k, b := range cfg.Numbers {
		if err := b.validate("numbers[" + k + "]"); err != nil {
			return err
		}
	}
	if cfg.PBX != "" {
		if _, _, err := net.SplitHostPort(cfg.PBX); err != nil {
			return fmt.Errorf("carrier pbx %q: %w: %v", cfg.PBX, ErrConfig, err)
		}
	}
	return nil
}

func (c *Carrier) phoneConfig(number string) phone.PhoneConfig {
	return phone.PhoneConfig{
		Number:     number,
		Answer:     phone.AnswerMode{Behaviour: phone.Manual},
		OnIncoming: c.onIncoming,
	}
}

// Addr is the carrier's SIP address (on Transport): where a PBX's trunk
// points.
func (c *Carrier) Addr() netip.AddrPort { return c.agent.Addr() }

// Transport is the carrier's transport, "udp" or "tcp".
func (c *Carrier) Transport() string { return c.cfg.Transport }

// Domain is the carrier's SIP domain.
func (c *Carrier) Domain() string { return c.cfg.Domain }

// Realm is the digest realm of the carrier's challenges.
func (c *Carrier) Realm() string { return c.cfg.Realm }

// Agent is the phone Agent the carrier runs on.
func (c *Carrier) Agent() *phone.Agent { return c.agent }

// Run blocks until ctx ends, then closes the carrier.
func (c *Carrier) Run(ctx context.Context) error {
	select {
	case <-ctx.Done():
	case <-c.ctx.Done():
	}
	return c.Close()
}

// Close drops every call (hang up first for a clean end), closes the
// socket and waits for the carrier's goroutines. It is idempotent.
func (c *Carrier) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	err := c.agent.Close()
	c.wg.Wait()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("close carrier %s: %w", c.Addr(), err)
	}
	return nil
}

// Requests is how many requests of method (e.g. "OPTIONS", a PBX's
// keepalive) the carrier received, retransmissions included, while not
// silent.
func (c *Carrier) Requests(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests[sip.RequestMethod(method)]
}

// notify wakes the waiters (c.mu held).
func (c *Carrier) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// wait blocks until cond (checked under c.mu) holds or ctx ends.
func (c *Carrier) wait(ctx context.Context, cond func() bool) error {
	for {
		c.mu.Lock()
		ok, ch := cond(), c.changed
		c.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// filter is the Agent's RequestFilter: the carrier's own handling of
// REGISTER, INVITE (records, authentication, behaviours) and of the
// requests of calls it keeps silent.
func (c *Carrier) filter(req *sip.Request, tx sip.ServerTransaction) bool {
	if c.cfg.Transport == phone.TCP && c.conn.drop() {
		return true // GoSilent on TCP: no response
	}
	c.mu.Lock()
	c.requests[req.Method]++
	c.mu.Unlock()
	switch req.Method {
	case sip.REGISTER:
		c.onRegister(req, tx)
		return true
	case sip.INVITE:
		if to := req.To(); to != nil && to.Params.Has("tag") {
			return false // re-INVITE: the call's
		}
		return c.onInvite(req, tx)
	case sip.CANCEL, sip.ACK:
		return c.silenced(req)
	}
	return false
}
