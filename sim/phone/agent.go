// Package phone simulates SIP phones. One Agent owns one sipgo user agent
// and one signalling socket (UDP, or a TCP listener) on a local IP and hosts
// any number of Phones, dispatching incoming requests to them by Request-URI
// user. Phones register with digest authentication (RFC 3261 §10, §22),
// place and receive calls (RFC 3261 §13-§15) and send a tone derived from
// their number over a per-call G.711 RTP stream, so that each side can prove
// it hears the other (two-way audio).
//
// The package drives any PBX by address: it knows nothing of pbxlab's own PBX.
package phone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
	"pbxlab/internal/gopool"
	"pbxlab/internal/pcapio"
	"pbxlab/internal/rawudp"
	"pbxlab/internal/sdpneg"
	"pbxlab/internal/sipstack"
	"pbxlab/sim/quality"
)

// closeGrace is how long Close lets in-flight sipgo message goroutines settle.
const closeGrace = 20 * time.Millisecond

// udpReadBuffer is the receive buffer asked for the Agent's UDP socket, as
// the PBX's listeners ask (pbx/server_sip.go).
const udpReadBuffer = 8 << 20

// Transports an Agent can use.
const (
	UDP = "udp"
	TCP = "tcp"
)

// Config says where an Agent listens and which PBX it talks to.
type Config struct {
	// LocalIP is the address to bind and advertise. If invalid, the address
	// routing to Target is used, else 127.0.0.1.
	LocalIP netip.Addr
	// Port is the SIP port; 0 picks a free one.
	Port int
	// Transport is "udp" (default) or "tcp".
	Transport string
	// Target is the PBX (registrar and outbound proxy) as host:port. It may
	// be empty for phones that only dial URIs directly.
	Target string
	// Domain is the SIP domain of the phones' addresses of record; default
	// Target's host.
	Domain string
	// ListenPacket, if set, opens the UDP signalling socket instead of
	// net.ListenPacket, e.g. memnet.Network.ListenPacket to run the Agent on
	// an in-memory network in virtual time (docs/VIRTUAL_TIME.md). It gets
	// ("udp", LocalIP:Port). UDP only; without LocalIP, 127.0.0.1 is used
	// (no route lookup).
	ListenPacket func(network, address string) (net.PacketConn, error)
	// SignallingOnly runs the phones without media: no RTP socket is
	// opened, SDP offers and answers carry a placeholder (LocalIP, port 9,
	// the discard port) so any PBX accepts them, and audio checks fail
	// with ErrNoAudio.
	SignallingOnly bool
	// ListenMedia, if set, opens the phones' RTP sockets instead of
	// net.ListenPacket: a socket on an in-memory network, or one wrapped in
	// an impairment. It gets the phone's number, the index of this media
	// stream among the phone's (0 for its first call's), and ("udp",
	// LocalIP:port) as net.ListenPacket would (port 0, then an even port).
	ListenMedia MediaListenFunc
	// WrapTCP, if set, wraps every TCP connection of a "tcp" Agent, those
	// it dials and those it accepts: e.g. in a sim/impair.Stream, the
	// path's impairment. The Agent then dials its connections itself (as
	// with WithCapture), and recovers a failed one (flow.go).
	WrapTCP func(net.Conn) (net.Conn, error)
}

// MediaListenFunc opens the RTP socket of the stream-th media stream of
// the phone with this number (Config.ListenMedia).
type MediaListenFunc func(number string, stream uint64, network, address string) (net.PacketConn, error)

// Agent hosts many simulated phones on one SIP socket.
type Agent struct {
	cfg         Config
	clock       clock.Clock
	log         *slog.Logger
	capture     *pcapio.Writer
	quality     *quality.Registry // WithQuality; nil: delays relative only
	uaName      string
	retry       time.Duration
	audioWindow time.Duration
	codecs      []sdpneg.Codec
	filter      RequestFilter // WithRequestFilter; nil: none
	fallback    string        // WithDefaultPhone; "": none
	// offerer is the template of the last offer without media (dial.go).
	offerer atomic.Pointer[sdpneg.Offerer]
	// sipTransport is cfg.Transport as sipgo names it ("UDP", "TCP").
	sipTransport string
	// usableAnswer is the last SDP answer found usable by a call
	// without media (nomedia.go).
	usableAnswer atomic.Pointer[[]byte]

	ua     *sipgo.UserAgent
	pool   *gopool.Pool // runs sipgo's handling of each message (gopool)
	client *sipgo.Client
	server *sipgo.Server
	addr   netip.AddrPort // where we listen and what Contacts advertise
	host   string         // addr's IP as text, shared by every Contact
	laddr  sip.Addr       // forced source of UDP requests (the listening socket)
	udp    net.PacketConn
	quiet  *quietConn // a.udp as sipgo reads it (Close silences it first)
	tcp    net.Listener

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // handlers, calls, refreshes
	served sync.WaitGroup // the serving goroutines
	dialer *dialListener  // TCP connections we dial when capturing
	dialMu sync.Mutex

	mu     sync.Mutex
	closed bool
	phones map[string]*Phone
	calls  map[string]*Call // by dialogKey
	events events           // subscriptions and unsolicited NOTIFYs (mwi.go)
}

// NewAgent starts an Agent listening on cfg.LocalIP:cfg.Port. Close releases it.
// sipgo's process-wide settings are the entry point's (sipstack.Setup), or
// pbxlab's defaults when it made none (sipstack.Ensure).
func NewAgent(cfg Config, opts ...Option) (*Agent, error) {
	sipstack.Ensure()
	a := &Agent{
		cfg:         cfg,
		clock:       clock.New(),
		log:         slog.New(slog.DiscardHandler),
		uaName:      "pbxlab-sim",
		retry:       30 * time.Second,
		audioWindow: 200 * time.Millisecond,
		codecs:      sdpneg.DefaultCodecs(),
		phones:      map[string]*Phone{},
		calls:       map[string]*Call{},
	}
	for _, o := range opts {
		o(a)
	}
	a.cfg.Transport = strings.ToLower(a.cfg.Transport)
	if a.cfg.Transport == "" {
		a.cfg.Transport = UDP
	}
	if a.cfg.Transport != UDP && a.cfg.Transport != TCP {
		return nil, fmt.Errorf("new agent transport %q: %w", cfg.Transport, sip.ErrTransportNotSuported)
	}
	a.sipTransport = strings.ToUpper(a.cfg.Transport)
	if a.cfg.Domain == "" && a.cfg.Target != "" {
		host, _, err := net.SplitHostPort(a.cfg.Target)
		if err != nil {
			return nil, fmt.Errorf("new agent target %q: %w", a.cfg.Target, err)
		}
		a.cfg.Domain = host
	}
	// An IPv6 literal domain is kept in brackets, as it appears in a SIP
	// URI: sipgo's Uri.Addr (used for the digest uri) does not add them.
	if ip, err := netip.ParseAddr(a.cfg.Domain); err == nil && ip.Is6() && !ip.Is4In6() {
		a.cfg.Domain = "[" + ip.String() + "]"
	}
	if a.cfg.ListenPacket != nil && a.cfg.Transport != UDP {
		return nil, fmt.Errorf("new agent transport %q with ListenPacket: %w", cfg.Transport, sip.ErrTransportNotSuported)
	}
	if !a.cfg.LocalIP.IsValid() && a.cfg.ListenPacket != nil {
		a.cfg.LocalIP = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	if !a.cfg.LocalIP.IsValid() {
		a.cfg.LocalIP = localIPFor(a.cfg.Target)
	}
	if a.cfg.LocalIP.IsUnspecified() {
		return nil, fmt.Errorf("new agent local ip %s: must be a concrete address", a.cfg.LocalIP)
	}
	if err := a.start(); err != nil {
		return nil, err
	}
	return a, nil
}

// localIPFor returns the local address the OS would use to reach target
// (no packet is sent), or 127.0.0.1.
func localIPFor(target string) netip.Addr {
	loop := netip.AddrFrom4([4]byte{127, 0, 0, 1})
	if target == "" {
		return loop
	}
	c, err := net.Dial("udp", target)
	if err != nil {
		return loop
	}
	defer c.Close()
	ap, err := netip.ParseAddrPort(c.LocalAddr().String())
	if err != nil {
		return loop
	}
	return ap.Addr().Unmap()
}

func (a *Agent) start() error {
	txLog := sip.WithTransactionLayerLogger(a.log)
	a.pool = gopool.New()
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(a.uaName),
		sipgo.WithUserAgentHostname(a.cfg.LocalIP.String()),
		sipgo.WithUserAgentTransactionLayerOptions(txLog, sip.WithTransactionLayerUnhandledResponseHandler(func(r *sip.Response) {
			a.log.Debug("unmatched response", "status", r.StatusCode, "call_id", callID(r))
		}), sip.WithTransactionLayerGo(a.pool.Go)), // each message on a reused stack (third_party/sipgo)
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(a.log)),
	)
	if err != nil {
		a.pool.Close()
		return fmt.Errorf("start agent: %w", err)
	}
	a.ua = ua
	a.ctx, a.cancel = context.WithCancel(context.Background())
	bind := netip.AddrPortFrom(a.cfg.LocalIP, uint16(a.cfg.Port))

	var clientOpts []sipgo.ClientOption
	// WithClientNAT: every request's Via asks for rport (RFC 3581 §3: a
	// client MUST). Behind a NAT that changes the source port, a server
	// answers the port it saw only when asked to; without rport responses
	// go to the port of Via's sent-by and die at the NAT.
	clientOpts = append(clientOpts, sipgo.WithClientLogger(a.log), sipgo.WithClientHostname(a.cfg.LocalIP.String()), sipgo.WithClientNAT())
	switch a.cfg.Transport {
	case UDP:
		listen := a.cfg.ListenPacket
		if listen == nil {
			// reads and writes that do not wake the Go runtime's monitor
			// thread at every datagram (internal/rawudp)
			listen = rawudp.Listen
		}
		pc, err := listen("udp", bind.String())
		if err != nil {
			ua.Close()
			a.pool.Close()
			return fmt.Errorf("listen udp %s: %w", bind, err)
		}
		if b, ok := pc.(interface{ SetReadBuffer(int) error }); ok {
			// thousands of phones' responses in a burst overflow the
			// default ~200 KB buffer while the reader waits for the
			// processor (seen as 408s at 2,000 calls/s on one processor);
			// the kernel caps this at net.core.rmem_max
			_ = b.SetReadBuffer(udpReadBuffer)
		}
		a.udp = pc
		a.addr = addrPortOf(pc.LocalAddr())
		// Every UDP request leaves from the listening socket, so the far end
		// sees one address for us (responses, in-dialog requests, capture).
		a.laddr = sip.Addr{IP: net.IP(a.addr.Addr().AsSlice()), Port: int(a.addr.Port()), Hostname: a.addr.Addr().String()}
		clientOpts = append(clientOpts, sipgo.WithClientConnectionAddr(a.addr.String()))
	case TCP:
		l, err := net.Listen("tcp", bind.String())
		if err != nil {
			ua.Close()
			a.pool.Close()
			return fmt.Errorf("listen tcp %s: %w", bind, err)
		}
		a.tcp = l
		a.addr = addrPortOf(l.Addr())
		// Connections we dial leave from our address (any port), not
		// from whatever the OS picks for the destination: a peer that
		// knows us by address (a PBX's trunk ACL) sees the one we listen on.
		a.laddr = sip.Addr{IP: net.IP(a.addr.Addr().AsSlice()), Hostname: a.addr.Addr().String()}
	}
	a.host = a.addr.Addr().String()
	if a.client, err = sipgo.NewClient(ua, clientOpts...); err != nil {
		a.closeSockets()
		ua.Close()
		a.pool.Close()
		return fmt.Errorf("start agent: %w", err)
	}
	if a.server, err = sipgo.NewServer(ua, sipgo.WithServerLogger(a.log)); err != nil {
		a.closeSockets()
		ua.Close()
		a.pool.Close()
		return fmt.Errorf("start agent: %w", err)
	}
	a.route()

	if a.udp != nil {
		a.quiet = &quietConn{PacketConn: pcapio.WrapPacketConn(a.udp, a.capture)}
	}
	a.serve(func() error {
		if a.udp != nil {
			return a.server.ServeUDP(a.quiet)
		}
		return a.server.ServeTCP(pcapio.WrapListener(wrapListener(a.tcp, a.cfg.WrapTCP), a.capture))
	})
	if a.tcp != nil && (a.capture != nil || a.cfg.WrapTCP != nil) {
		a.dialer = newDialListener(a.tcp.Addr())
		a.serve(func() error { return a.server.ServeTCP(a.dialer) })
	}
	if a.udp != nil {
		// Requests are forced out of the listening socket: wait until sipgo
		// has put it in its connection pool.
		pool := ua.TransportLayer().Pool(UDP)
		for i := 0; pool.Size() == 0; i++ {
			if i > 2000 {
				a.Close()
				return fmt.Errorf("start agent %s: udp listener not ready", a.addr)
			}
			time.Sleep(time.Millisecond)
		}
	}
	return nil
}

func (a *Agent) serve(f func() error) {
	a.served.Go(func() {
		if err := f(); err != nil && !errors.Is(err, net.ErrClosed) {
			a.log.Warn("sip serve stopped", "error", err)
		}
	})
}

func (a *Agent) route() {
	s := a.server
	f := a.filtered
	s.OnInvite(f(a.tracked(a.onInvite)))
	s.OnAck(f(a.tracked(a.onAck)))
	s.OnBye(f(a.tracked(a.onBye)))
	s.OnCancel(f(a.tracked(a.onCancel)))
	s.OnUpdate(f(a.tracked(a.onUpdate)))
	s.OnPrack(f(a.tracked(a.onPrack)))
	ok := func(req *sip.Request, tx sip.ServerTransaction) { a.respond(tx, req, 200, "OK") }
	s.OnOptions(f(ok))
	s.OnNotify(f(a.tracked(a.onNotify)))
	s.OnInfo(f(a.tracked(a.onInfo)))
	s.OnMessage(f(ok))
	s.OnNoRoute(f(func(req *sip.Request, tx sip.ServerTransaction) { a.respond(tx, req, 405, "Method Not Allowed") }))
}

// filtered lets the RequestFilter (WithRequestFilter) take a request
// before h does.
func (a *Agent) filtered(h sipgo.RequestHandler) sipgo.RequestHandler {
	if a.filter == nil {
		return h
	}
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if a.filter(req, tx) {
			return
		}
		h(req, tx)
	}
}

// tracked makes Close wait for in-flight request handlers.
func (a *Agent) tracked(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		a.mu.Lock()
		if a.closed {
			a.mu.Unlock()
			a.respond(tx, req, 503, "Service Unavailable")
			return
		}
		a.wg.Add(1)
		a.mu.Unlock()
		defer a.wg.Done()
		h(req, tx)
	}
}

// Addr is the SIP address the Agent listens on (and advertises in Contacts).
func (a *Agent) Addr() netip.AddrPort { return a.addr }

// Transport is "udp" or "tcp".
func (a *Agent) Transport() string { return a.cfg.Transport }

// Domain is the SIP domain of the phones' addresses of record.
func (a *Agent) Domain() string { return a.cfg.Domain }

// Phone returns the phone with the given number, or nil.
func (a *Agent) Phone(number string) *Phone {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.phones[number]
}

// Calls returns the number of calls in progress on all phones.
func (a *Agent) Calls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.calls)
}

func dialogKey(callID, localTag string) string { return callID + "|" + localTag }

func (a *Agent) addCall(c *Call) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return ErrClosed
	}
	a.calls[c.key] = c
	return nil
}

func (a *Agent) dropCall(c *Call) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.calls[c.key] == c {
		delete(a.calls, c.key)
	}
}

// callFor finds the call an in-dialog request belongs to (RFC 3261 §12.2.2):
// our tag is in To.
func (a *Agent) callFor(req *sip.Request) *Call {
	to := req.To()
	if to == nil || req.CallID() == nil {
		return nil
	}
	tag, _ := to.Params.Get("tag")
	if tag == "" {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[dialogKey(req.CallID().Value(), tag)]
}

// phoneFor finds the phone a dialog-creating request is for: the
// Request-URI user (our Contact), else the To user, else the default
// phone (WithDefaultPhone).
func (a *Agent) phoneFor(req *sip.Request) *Phone {
	a.mu.Lock()
	defer a.mu.Unlock()
	if p := a.phones[req.Recipient.User]; p != nil {
		return p
	}
	if to := req.To(); to != nil {
		if p := a.phones[to.Address.User]; p != nil {
			return p
		}
	}
	if a.fallback != "" {
		return a.phones[a.fallback]
	}
	return nil
}

func (a *Agent) respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	if tx == nil || req.IsAck() { // an ACK is never answered (RFC 3261 §17.1.1.3)
		return
	}
	if err := tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil)); err != nil {
		a.log.Debug("respond failed", "method", req.Method, "status", code, "error", err)
	}
}

// withLocalAddr pins a request we build to the listening socket (UDP).
func (a *Agent) withLocalAddr(req *sip.Request) {
	if a.laddr.IP != nil {
		a.laddr.Copy(&req.Laddr)
	}
}

func addrPortOf(addr net.Addr) netip.AddrPort {
	ap, _ := netip.ParseAddrPort(addr.String())
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func callID(m sip.Message) string {
	if h := m.CallID(); h != nil {
		return h.Value()
	}
	return ""
}

// background runs f on a goroutine the agent waits for at Close, with a
// context bounded by requestTimeout: a request a call sends on its own
// (CANCEL, PRACK, a session refresh). It reports false, running nothing,
// once the agent is closed.
func (a *Agent) background(f func(ctx context.Context)) bool {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return false
	}
	a.wg.Add(1)
	a.mu.Unlock()
	go func() {
		defer a.wg.Done()
		ctx, stop := context.WithTimeout(a.ctx, requestTimeout)
		defer stop()
		f(ctx)
	}()
	return true
}
