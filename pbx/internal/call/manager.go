// Package call is the B2BUA (the manual's "process server"): every call has
// two dialogs, the caller's leg where the PBX is the UAS and one leg per
// callee contact where the PBX is the UAC. The package owns the dialog
// state; policy (who the caller is, what a number means, where a subscriber
// is) comes through the small interfaces in Deps.
package call

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/internal/sipx"
)

// Sender sends requests on behalf of the PBX (a *sipgo.Client in production).
type Sender interface {
	// Request starts a client transaction for a prebuilt request.
	Request(ctx context.Context, req *sip.Request) (sip.ClientTransaction, error)
	// Write sends a request outside any transaction (ACK for a 2xx).
	Write(req *sip.Request) error
}

// Target is one place a subscriber can be reached: a registered or static
// contact, with where to send and over which transport.
type Target struct {
	// URI is where requests go: the contact, with host:port replaced by the
	// address its REGISTER came from when they differ (RFC 3581 NAT).
	URI sip.Uri
	// Contact is the contact as registered; a redirect (301/302) gives it.
	Contact   sip.Uri
	Transport string // "udp" | "tcp"
	Dest      string // host:port
}

// Subscriber is what number analysis found for a dialled number.
type Subscriber struct {
	Number   string
	Redirect int // 0 = proxy the call; 301 or 302 = answer as a redirect server
}

// Deps are the policies and services the B2BUA asks; tests fake each with
// a struct of funcs.
type Deps struct {
	Sender Sender
	// Authenticate returns the caller's number or an error mapped to the
	// response (407 with a challenge, 403).
	Authenticate func(ctx context.Context, req *sip.Request) (string, error)
	// Analyse maps a dialled number to a subscriber (number analysis).
	Analyse func(dialled string) (Subscriber, bool)
	// Locate returns the subscriber's current contacts.
	Locate func(ctx context.Context, number string) ([]Target, error)
	// Local returns how the PBX presents itself to peer over transport
	// ("udp" or "tcp"): the socket, Via sent-by and Contact host.
	Local func(transport string, peer netip.AddrPort) (sipx.Local, bool)
	CDR   CDRStore
	Token sipx.BranchToken
}

// CDRStore records call attempts (pbx/internal/cdr in production).
type CDRStore interface {
	Begin(ctx context.Context, r cdr.Record) (int64, error)
	// Answered records the answer time of a call in progress, so a crash
	// during the conversation still leaves it in the record.
	Answered(ctx context.Context, id int64, at time.Time) error
	Finish(ctx context.Context, id int64, r cdr.Record) error
}

// Timers are the call-level durations; all are configurable so tests can
// shorten them.
type Timers struct {
	T1, T2        time.Duration // RFC 3261 §17.1.1.1
	NoAnswer      time.Duration // ringing longer than this ends the attempt
	AckWait       time.Duration // how long a BYE waits for the ACK sent before it
	ShutdownGrace time.Duration
}

// Manager owns every call in progress.
type Manager struct {
	deps   Deps
	timers Timers
	clock  clock.Clock
	log    *slog.Logger
	base   context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	dialogs  map[string]*dialogRef // by Call-ID|local tag
	calls    map[*Call]struct{}
	draining atomic.Bool
	wg       sync.WaitGroup // calls in progress
	byes     sync.WaitGroup // BYEs sent by the PBX itself (terminate)
}

type dialogRef struct {
	call *Call
	side side
}

type side int

const (
	sideA side = iota // the caller's leg (PBX is UAS)
	sideB             // the answering callee's leg (PBX is UAC)
)

// Option configures a Manager.
type Option func(*Manager)

// WithClock sets the clock for every call timer.
func WithClock(c clock.Clock) Option { return func(m *Manager) { m.clock = c } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(m *Manager) { m.log = l } }

// WithTimers overrides the default timers (zero fields keep their default).
func WithTimers(t Timers) Option {
	return func(m *Manager) {
		if t.T1 > 0 {
			m.timers.T1 = t.T1
		}
		if t.T2 > 0 {
			m.timers.T2 = t.T2
		}
		if t.NoAnswer > 0 {
			m.timers.NoAnswer = t.NoAnswer
		}
		if t.AckWait > 0 {
			m.timers.AckWait = t.AckWait
		}
		if t.ShutdownGrace > 0 {
			m.timers.ShutdownGrace = t.ShutdownGrace
		}
	}
}

// New returns a Manager.
func New(deps Deps, opts ...Option) (*Manager, error) {
	if deps.Sender == nil || deps.Authenticate == nil || deps.Analyse == nil || deps.Locate == nil || deps.Local == nil || deps.CDR == nil {
		return nil, fmt.Errorf("new call manager: %w", ErrMissingDeps)
	}
	m := &Manager{
		deps:    deps,
		timers:  Timers{T1: 500 * time.Millisecond, T2: 4 * time.Second, NoAnswer: 60 * time.Second, AckWait: 500 * time.Millisecond, ShutdownGrace: 5 * time.Second},
		clock:   clock.New(),
		log:     slog.New(slog.DiscardHandler),
		dialogs: make(map[string]*dialogRef),
		calls:   make(map[*Call]struct{}),
	}
	for _, o := range opts {
		o(m)
	}
	m.base, m.cancel = context.WithCancel(context.Background())
	return m, nil
}

// Active returns the number of calls in progress.
func (m *Manager) Active() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.calls)
}

func (m *Manager) addDialog(l *leg, c *Call, s side) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dialogs[l.key()] = &dialogRef{call: c, side: s}
}

func (m *Manager) lookup(req *sip.Request) (*dialogRef, bool) {
	to := req.To()
	if to == nil || req.CallID() == nil {
		return nil, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.dialogs[dialogKey(req.CallID().Value(), tagOf(to.Params))]
	return d, ok
}

func (m *Manager) track(c *Call) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls[c] = struct{}{}
	m.wg.Add(1)
}

func (m *Manager) untrack(c *Call) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.calls[c]; !ok {
		return
	}
	delete(m.calls, c)
	for _, l := range c.legs() {
		delete(m.dialogs, l.key())
	}
	m.wg.Done()
}

// Shutdown stops taking new calls (503), waits up to the grace period for
// calls to end, then ends the rest with BYE (or CANCEL/480 while ringing)
// and waits for their CDRs to be written or ctx to end.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.draining.Store(true)
	done, byesDone := make(chan struct{}), make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		m.cancel()
		return nil
	case <-m.clock.After(m.timers.ShutdownGrace):
	case <-ctx.Done():
	}
	m.mu.Lock()
	calls := make([]*Call, 0, len(m.calls))
	for c := range m.calls {
		calls = append(calls, c)
	}
	m.mu.Unlock()
	for _, c := range calls {
		c.terminate("shutdown")
	}
	go func() { m.byes.Wait(); <-done; close(byesDone) }()
	select {
	case <-byesDone:
		m.cancel()
		return nil
	case <-ctx.Done():
		m.cancel()
		return fmt.Errorf("shutdown with %d calls: %w", m.Active(), ctx.Err())
	}
}

// Close aborts every call without signalling (tests and fatal errors).
func (m *Manager) Close() error {
	m.cancel()
	return nil
}

// HandleOptions answers OPTIONS (RFC 3261 §11): the PBX is an endpoint for
// it, so Max-Forwards 0 is processed normally (RFC 4475 §3.3.11).
func (m *Manager) HandleOptions(_ context.Context, req *sip.Request, tx sipx.Tx) error {
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(sip.NewHeader("Allow", sipx.Allowed))
	res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	return tx.Respond(res)
}
