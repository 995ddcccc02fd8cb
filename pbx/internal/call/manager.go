// Package call is the B2BUA (the manual's "process server"). A call is a
// set of legs, each one SIP dialog with an explicit state machine
// (leg_state.go), joined by a bridge whose Media seam every SDP crosses
// (media.go). Operations (ops.go) originate legs, fork to targets in
// parallel or in sequence, answer, join, split, replace and add legs;
// today's flows are built from them. Each call runs on its own executor,
// so the messages of a dialog are handled in the order they arrive and no
// call state needs a lock. Policy (who the caller is, where a number goes,
// what happens on busy or no answer, in-dialog requests the call layer does
// not handle) is asked through the Policy interface (policy.go).
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
	"pbxlab/internal/gopool"
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

// CDRStore records call attempts (pbx/internal/cdr in production).
type CDRStore interface {
	Begin(ctx context.Context, r cdr.Record) (int64, error)
	// Answered records the answer time of a call in progress, so a crash
	// during the conversation still leaves it in the record (pbx/internal/cdr
	// queues it for the next group commit without waiting).
	Answered(ctx context.Context, id int64, at time.Time) error
	Finish(ctx context.Context, id int64, r cdr.Record) error
}

// Deps are what the B2BUA needs; tests fake each.
type Deps struct {
	Sender Sender
	Policy Policy
	// Local returns how the PBX presents itself to peer over transport
	// ("udp" or "tcp"): the socket, Via sent-by and Contact host.
	Local func(transport string, peer netip.AddrPort) (sipx.Local, bool)
	CDR   CDRStore
	Token sipx.BranchToken
}

// Timers are the call-level durations; all are configurable so tests can
// shorten them.
type Timers struct {
	T1, T2        time.Duration // RFC 3261 §17.1.1.1
	NoAnswer      time.Duration // ringing longer than this ends the attempt
	AckWait       time.Duration // how long a request waits for the ACK sent before it
	ShutdownGrace time.Duration
}

// Manager owns every call in progress.
type Manager struct {
	deps   Deps
	timers Timers
	clock  clock.Clock
	log    *slog.Logger
	media  MediaFactory
	st     SessionTimer // session timers of legs whose policy brings none (timer.go)
	base   context.Context
	cancel context.CancelFunc
	// pool runs the calls' executors and background requests on reused
	// goroutines (gopool); closed with base.
	pool *gopool.Pool

	// noRel100 leaves Supported: 100rel off the INVITEs the PBX sends.
	noRel100 bool

	mu       sync.Mutex
	dialogs  map[string]*Call // by Call-ID|local tag
	calls    map[*Call]struct{}
	draining atomic.Bool
	wg       sync.WaitGroup // calls in progress
	// ending are the BYEs Shutdown itself caused; it waits for them.
	ending sync.WaitGroup
}

// Option configures a Manager.
type Option func(*Manager)

// WithClock sets the clock for every call timer.
func WithClock(c clock.Clock) Option { return func(m *Manager) { m.clock = c } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(m *Manager) { m.log = l } }

// WithMedia sets the seam every new bridge gets (default PassThrough).
func WithMedia(f MediaFactory) Option { return func(m *Manager) { m.media = f } }

// WrapPolicy wraps the Policy of Deps (tests: fake one hook, keep the rest).
func WrapPolicy(wrap func(Policy) Policy) Option {
	return func(m *Manager) { m.deps.Policy = wrap(m.deps.Policy) }
}

// WithTimers overrides the default timers (zero fields keep their default).
func WithTimers(t Timers) Option {
	return func(m *Manager) {
		for _, p := range []struct{ dst, src *time.Duration }{
			{&m.timers.T1, &t.T1}, {&m.timers.T2, &t.T2}, {&m.timers.NoAnswer, &t.NoAnswer},
			{&m.timers.AckWait, &t.AckWait}, {&m.timers.ShutdownGrace, &t.ShutdownGrace},
		} {
			if *p.src > 0 {
				*p.dst = *p.src
			}
		}
	}
}

// New returns a Manager.
func New(deps Deps, opts ...Option) (*Manager, error) {
	m := &Manager{
		deps:    deps,
		timers:  Timers{T1: 500 * time.Millisecond, T2: 4 * time.Second, NoAnswer: 60 * time.Second, AckWait: 500 * time.Millisecond, ShutdownGrace: 5 * time.Second},
		clock:   clock.New(),
		log:     slog.New(slog.DiscardHandler),
		media:   func(*Call) Media { return PassThrough{} },
		st:      SessionTimer{MinSE: minSessionInterval},
		dialogs: make(map[string]*Call),
		calls:   make(map[*Call]struct{}),
	}
	for _, o := range opts {
		o(m)
	}
	if m.deps.Sender == nil || m.deps.Policy == nil || m.deps.Local == nil || m.deps.CDR == nil {
		return nil, fmt.Errorf("new call manager: %w", ErrMissingDeps)
	}
	m.pool = gopool.New()
	base, cancel := context.WithCancel(context.Background())
	m.base, m.cancel = base, func() { cancel(); m.pool.Close() }
	return m, nil
}

// Active returns the number of calls in progress.
func (m *Manager) Active() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.calls)
}

func (m *Manager) addDialog(l *Leg) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dialogs[l.key()] = l.call
}

// lookup finds the call of an in-dialog request: our tag is its To tag.
func (m *Manager) lookup(req *sip.Request) (*Call, bool) {
	to := req.To()
	if to == nil || req.CallID() == nil {
		return nil, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.dialogs[dialogKey(req.CallID().Value(), tagOf(to.Params))]
	return c, ok
}

func (m *Manager) track(c *Call) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.draining.Load() {
		return false
	}
	m.calls[c] = struct{}{}
	m.wg.Add(1)
	return true
}

func (m *Manager) untrack(c *Call) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.calls[c]; !ok {
		return
	}
	delete(m.calls, c)
	m.wg.Done()
}

// forget drops an ended call's dialogs from the index.
func (m *Manager) forget(c *Call) {
	m.mu.Lock()
	for _, l := range c.legs {
		if m.dialogs[l.key()] == c {
			delete(m.dialogs, l.key())
		}
	}
	m.mu.Unlock()
	close(c.gone)
}

// open starts the call id: its log, its executor on the Manager's pool
// (a panic in its work ends the call), its context, tracked by the
// Manager; ErrShuttingDown once Shutdown began.
func (m *Manager) open(id string) (*Call, error) {
	c := &Call{m: m, id: id, finalSent: make(chan struct{}), ended: make(chan struct{}), gone: make(chan struct{})}
	c.log = m.log.With("call_id", id)
	c.ex.pool = m.pool
	c.ex.onPanic = func(r any, stack []byte) {
		c.log.Error("call panic", "panic", r, "stack", string(stack))
		c.terminate("internal error")
	}
	c.ctx, c.end = context.WithCancel(m.base)
	if !m.track(c) {
		c.end()
		return nil, sipx.ErrShuttingDown
	}
	return c, nil
}

// background runs f, a request the PBX sends on its own (BYE, CANCEL, a
// relayed request), with a context that Close and the end of Shutdown
// cancel.
func (m *Manager) background(f func(ctx context.Context)) {
	m.pool.Go(func() { f(m.base) })
}

// Shutdown stops taking new calls (503), waits up to the grace period for
// calls to end, then ends the rest with BYE (or CANCEL/480 while ringing)
// and waits for their CDRs to be written or ctx to end.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	m.draining.Store(true)
	m.mu.Unlock()
	done := make(chan struct{})
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
		c.ex.post(func() { c.terminate("shutdown") })
	}
	all := make(chan struct{})
	go func() { <-done; m.ending.Wait(); close(all) }()
	select {
	case <-all:
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
	res.AppendHeader(sip.NewHeader("Supported", sipx.Supported))
	return tx.Respond(res)
}

// do sends req in a client transaction and returns its final response.
func (m *Manager) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	tx, err := m.request(ctx, req)
	if err != nil {
		return nil, err
	}
	defer tx.Terminate()
	for {
		select {
		case res, ok := <-tx.Responses():
			if !ok {
				return nil, tx.Err()
			}
			if res.StatusCode >= 200 {
				sipx.UseSDPPart(res)
				return res, nil
			}
		case <-tx.Done():
			return nil, tx.Err()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// request starts a client transaction for req unless ctx is done. Requests
// the PBX sends on its own run on the manager's context, which Close (and
// the end of Shutdown) cancels: nothing is sent after that, as sipgo would
// open a fresh socket for a request whose listener is gone.
func (m *Manager) request(ctx context.Context, req *sip.Request) (sip.ClientTransaction, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("send %s: %w", req.Method, err)
	}
	return m.deps.Sender.Request(ctx, req)
}
