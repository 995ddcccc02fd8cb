package sipx

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/gopool"
	"pbxlab/pbx/internal/sourcelimit"
)

// Stack is the PBX's sipgo user agent with its server and client: the one
// place the PBX builds sipgo's transport and transaction layers, registers
// handlers and sends requests. The rest of the PBX uses sipgo's message
// types (sip.Request, sip.Response, headers, URIs) and nothing else of it.
type Stack struct {
	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	client *sipgo.Client
	pool   *gopool.Pool // runs the handling of each message (gopool)
	log    *slog.Logger
	base   context.Context

	onFlowClosed func(netip.AddrPort)
	limit        *sourcelimit.Limiter // nil: no per-source limit
	replay       *Replay
	mu           sync.Mutex
	flows        []*flows    // one per TCP listener (ServeTCP)
	silent       atomic.Bool // Quiesce: the UDP sockets and TCP connections drop what they read
	stopSweep    chan struct{}
	closeOnce    sync.Once
}

// StackConfig configures NewStack.
type StackConfig struct {
	// UserAgent is the User-Agent/Server header value.
	UserAgent string
	// Logger receives sipgo's logs (by layer) and the adapter's.
	Logger *slog.Logger
	// Stray gets responses that matched no client transaction (a
	// retransmitted 2xx after the transaction ended).
	Stray func(*sip.Response)
	// FlowClosed, if set, is called with the remote address of every
	// accepted TCP connection when it closes (on sipgo's reader goroutine:
	// it must not block).
	FlowClosed func(netip.AddrPort)
	// ReplayMax bounds the final responses HandleReplayed keeps for
	// retransmissions (default 262144, ~150 MB at most).
	ReplayMax int
	// SourceLimit, if set, is asked before each datagram, TCP connection
	// and TCP read is handed to sipgo: what it refuses is dropped unread
	// (sip.source_limits).
	SourceLimit *sourcelimit.Limiter
}

// defaultReplayMax is StackConfig.ReplayMax's default.
const defaultReplayMax = 1 << 18

// NewStack builds the user agent, server and client.
func NewStack(cfg StackConfig) (*Stack, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	stray := cfg.Stray
	if stray == nil {
		stray = func(*sip.Response) {}
	}
	pool := gopool.New()
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(cfg.UserAgent),
		sipgo.WithUserAgentParser(newParser()), // lenient.go
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log.With("layer", "sip-transport"))),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(log.With("layer", "sip-transaction")),
			sip.WithTransactionLayerUnhandledResponseHandler(stray),
			sip.WithTransactionLayerGo(pool.Go), // each message on a reused stack (third_party/sipgo)
		),
	)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("new sip user agent: %w", err)
	}
	if cfg.ReplayMax <= 0 {
		cfg.ReplayMax = defaultReplayMax
	}
	s := &Stack{ua: ua, pool: pool, log: log, base: context.Background(), onFlowClosed: cfg.FlowClosed, limit: cfg.SourceLimit,
		replay: NewReplay(sip.Timer_J, cfg.ReplayMax, nil)}
	if s.srv, err = sipgo.NewServer(ua, sipgo.WithServerLogger(log.With("layer", "sip-server"))); err != nil {
		_ = ua.Close()
		pool.Close()
		return nil, fmt.Errorf("new sip server: %w", err)
	}
	if s.client, err = sipgo.NewClient(ua, sipgo.WithClientLogger(log.With("layer", "sip-client"))); err != nil {
		_ = ua.Close()
		pool.Close()
		return nil, fmt.Errorf("new sip client: %w", err)
	}
	s.srv.OnNoRoute(Adapt(s.base, log, func(context.Context, *sip.Request, Tx) error { return ErrNotImplemented }))
	s.stopSweep = make(chan struct{})
	go s.sweepReplay()
	return s, nil
}

// replaySweepEvery is how often the stack drops the expired responses of
// its Replay (64*T1 old) when no new one comes to do it.
const replaySweepEvery = 4 * time.Second

func (s *Stack) sweepReplay() {
	t := time.NewTicker(replaySweepEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.replay.Sweep()
		case <-s.stopSweep:
			return
		}
	}
}

// Handle routes requests of method to h, through Adapt.
func (s *Stack) Handle(method sip.RequestMethod, h Handler) {
	s.srv.OnRequest(method, Adapt(s.base, s.log, h))
}

// HandleReplayed routes requests of method, a non-INVITE method, to h
// through a Replay: over UDP the transaction ends once h answered, and
// its retransmissions for Timer J (64*T1) get the same final response
// from a cache of its bytes instead of a live sipgo transaction.
func (s *Stack) HandleReplayed(method sip.RequestMethod, h Handler) {
	s.srv.OnRequest(method, Adapt(s.base, s.log, s.replay.Wrap(h)))
}

// HandleOutOfDialog routes requests of method, an InDialogOnly method
// (SUBSCRIBE), to h in and out of dialogs: a service of the PBX takes them
// (h passes the in-dialog ones it does not own on).
func (s *Stack) HandleOutOfDialog(method sip.RequestMethod, h Handler) {
	s.srv.OnRequest(method, adapt(s.base, s.log, h, true))
}

// Replayed is how many final responses the stack keeps to answer
// retransmissions (HandleReplayed), expired ones not yet swept included.
func (s *Stack) Replayed() int { return s.replay.Len() }

// ServeUDP serves SIP on a packet connection until it is closed. A
// datagram whose headers end without the empty line is read as a message
// without a body (tolerantConn).
func (s *Stack) ServeUDP(pc net.PacketConn) error {
	return s.srv.ServeUDP(tolerantConn{PacketConn: pc, silent: &s.silent, limit: s.limit})
}

// quiesceGrace is how long Quiesce lets the messages already read be
// handled and answered through the sockets before they are closed.
const quiesceGrace = 20 * time.Millisecond

// Quiesce is the first step of a shutdown, before the sockets close: the
// UDP sockets and the TCP connections stop handing what they read to sipgo
// (still open and in its connection pool), every transaction ends, and the
// messages already read get quiesceGrace to be answered. Without it, a request read as a socket
// closes is answered after sipgo dropped the socket from its pool, from a
// socket sipgo opens for it (another source port, outliving Close).
func (s *Stack) Quiesce() {
	if s.silent.Swap(true) {
		return
	}
	s.ua.TransactionLayer().Close()
	time.Sleep(quiesceGrace)
}

// Listening is how many connections of network ("udp", "tcp") sipgo's
// transport layer holds: a UDP listener counts once ServeUDP registered
// it. Requests the PBX originates before that would make sipgo open a
// socket of its own (another source port, which responses do not reach).
func (s *Stack) Listening(network string) int {
	return s.ua.TransportLayer().Pool(network).Size()
}

// ServeTCP serves SIP on a listener until it is closed. It keeps track of
// the connections it accepts (FlowOpen, StackConfig.FlowClosed) and
// answers RFC 5626 keepalive pings on them (see flows).
func (s *Stack) ServeTCP(ln net.Listener) error {
	f := newFlows(ln, s.onFlowClosed, s.limit, &s.silent)
	s.mu.Lock()
	s.flows = append(s.flows, f)
	s.mu.Unlock()
	return s.srv.ServeTCP(f)
}

// FlowOpen reports whether a TCP connection the PBX accepted from remote
// is still open: a phone registered over TCP is reached over that one.
func (s *Stack) FlowOpen(remote netip.AddrPort) bool {
	remote = netip.AddrPortFrom(remote.Addr().Unmap(), remote.Port())
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.flows {
		if f.Open(remote) {
			return true
		}
	}
	return false
}

// Request starts a client transaction for a prebuilt request (its Via,
// destination and source socket set by Local.Prepare).
func (s *Stack) Request(ctx context.Context, req *sip.Request) (sip.ClientTransaction, error) {
	return s.client.TransactionRequest(ctx, req, prebuilt)
}

// Write sends a prebuilt request outside any transaction (ACK for a 2xx).
func (s *Stack) Write(req *sip.Request) error { return s.client.WriteRequest(req, prebuilt) }

// Close stops the client and the user agent (transactions, then transports).
func (s *Stack) Close() error {
	s.closeOnce.Do(func() { close(s.stopSweep) })
	_ = s.client.Close()
	err := s.ua.Close()
	s.pool.Close()
	return err
}

// prebuilt is a sipgo client option that tells the client the request is
// complete and must be sent as it is.
func prebuilt(*sipgo.Client, *sip.Request) error { return nil }
