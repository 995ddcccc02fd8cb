// Package subscription is the PBX's SIP-specific event notification (RFC
// 6665) as a notifier: SUBSCRIBE creates, refreshes (in its dialog) and
// ends (Expires: 0) a subscription to a resource's state in an event
// package; the PBX answers 200 and sends a NOTIFY at once, on every
// change of the state (Notify), and a final one with Subscription-State:
// terminated when the subscription ends or expires. Unsolicited NOTIFYs
// (no subscription: some phones expect MWI that way) go out with
// NotifyOut. Event packages plug in as Package (message-summary, RFC 3842,
// for voicemail's MWI).
//
// Requests come in through sipx (HandleSubscribe is a sipx.Handler) and go
// out through a Sender (the PBX's sipx.Stack).
package subscription

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/sipx"
)

// Package is an event package the PBX serves (RFC 6665 §7).
type Package interface {
	// Event is the package name (the Event header's value).
	Event() string
	// ContentType is the NOTIFY body's media type.
	ContentType() string
	// State is the body for resource (the SUBSCRIBE's Request-URI user).
	State(ctx context.Context, resource string) ([]byte, error)
}

// Versioned is a Package whose body counts the subscription's NOTIFYs
// (dialog-info's version, RFC 4235 §4.1: 0 in the first, one more in
// each next one): the manager calls StateAt instead of State.
type Versioned interface {
	StateAt(ctx context.Context, resource string, version uint32) ([]byte, error)
}

// Sender sends the PBX's requests (sipx.Stack).
type Sender interface {
	Request(ctx context.Context, req *sip.Request) (sip.ClientTransaction, error)
}

// Deps are what the manager needs of the PBX.
type Deps struct {
	Sender Sender
	// Local is how the PBX faces a peer (Via, Contact, socket).
	Local func(transport string, peer netip.AddrPort) (sipx.Local, bool)
	Token sipx.BranchToken
	// Authorize checks that the sender of req may watch resource in
	// event; an error is the response (401 with a challenge, 403, 404).
	Authorize func(ctx context.Context, req *sip.Request, event, resource string) error
}

// Option configures a Manager.
type Option func(*Manager)

// WithClock sets the clock of the expiry timers.
func WithClock(c clock.Clock) Option { return func(m *Manager) { m.clock = c } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(m *Manager) { m.log = l } }

// WithMaxExpires bounds the granted expiry (default 3600 s): a SUBSCRIBE
// without Expires, or asking for more, gets this.
func WithMaxExpires(d time.Duration) Option { return func(m *Manager) { m.maxExpires = d } }

// Manager holds the subscriptions.
type Manager struct {
	deps       Deps
	pkgs       map[string]Package
	clock      clock.Clock
	log        *slog.Logger
	maxExpires time.Duration

	base   context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	subs   map[string]*sub // by dialog (Call-ID | our tag)
	closed bool
}

// sub is one subscription: a dialog the PBX is the notifier of.
type sub struct {
	m        *Manager
	pkg      Package
	resource string
	key      string

	callID, localTag, remoteTag string
	local, remote               sip.Uri // our URI (From of NOTIFY) and theirs (To)
	target                      sip.Uri // their Contact: the NOTIFY's Request-URI
	routeSet                    []sip.Uri
	dest, transport             string // where NOTIFYs go (the SUBSCRIBE's source)
	via                         sipx.Local

	sendMu  sync.Mutex // NOTIFYs go out one at a time, CSeq in order
	version uint32     // the next NOTIFY's body version (Versioned), under sendMu
	mu      sync.Mutex
	seq     uint32
	expiry  time.Time
	timer   clock.Timer
	ended   bool
}

// New builds a manager serving pkgs.
func New(deps Deps, pkgs []Package, opts ...Option) (*Manager, error) {
	if deps.Sender == nil || deps.Local == nil || deps.Authorize == nil {
		return nil, fmt.Errorf("new subscriptions: missing dependency")
	}
	m := &Manager{deps: deps, pkgs: map[string]Package{}, clock: clock.New(), log: slog.New(slog.DiscardHandler),
		maxExpires: time.Hour, subs: map[string]*sub{}}
	for _, p := range pkgs {
		m.pkgs[strings.ToLower(p.Event())] = p
	}
	for _, o := range opts {
		o(m)
	}
	m.base, m.cancel = context.WithCancel(context.Background())
	return m, nil
}

// Count returns the number of live subscriptions.
func (m *Manager) Count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.subs)
}

// Close ends every subscription without NOTIFY (the PBX is stopping; the
// subscribers refresh elsewhere or time out) and waits for NOTIFYs in
// flight.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	for k, s := range m.subs {
		s.mu.Lock()
		s.ended = true
		if s.timer != nil {
			s.timer.Stop()
		}
		s.mu.Unlock()
		delete(m.subs, k)
	}
	m.mu.Unlock()
	m.cancel()
	m.wg.Wait()
	return nil
}

// eventOf returns the Event header's package name (without parameters).
func eventOf(req *sip.Request) string {
	h := req.GetHeader("Event")
	if h == nil {
		if h = req.GetHeader("o"); h == nil {
			return ""
		}
	}
	name, _, _ := strings.Cut(h.Value(), ";")
	return strings.ToLower(strings.TrimSpace(name))
}

// expiresOf is the Expires the SUBSCRIBE asks for (-1: none).
func expiresOf(req *sip.Request) (time.Duration, error) {
	h := req.GetHeader("Expires")
	if h == nil {
		return -1, nil
	}
	n, err := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 32)
	if err != nil {
		return 0, &sipx.StatusError{Code: 400, Reason: "Bad Expires", Err: fmt.Errorf("expires %q: %w", h.Value(), sipx.ErrBadRequest)}
	}
	return time.Duration(n) * time.Second, nil
}

// HandleSubscribe is the SUBSCRIBE handler (sipx.Handler): a new
// subscription (no To tag), or a refresh or un-subscribe in an existing
// one's dialog. in is the handler in-dialog SUBSCRIBEs that are no
// subscription's go to (the call layer's), nil for 481.
func (m *Manager) HandleSubscribe(in sipx.Handler) sipx.Handler {
	return func(ctx context.Context, req *sip.Request, tx sipx.Tx) error {
		if tag, _ := req.To().Params.Get("tag"); tag != "" {
			m.mu.Lock()
			s := m.subs[req.CallID().Value()+"|"+tag]
			m.mu.Unlock()
			if s == nil {
				if in != nil {
					return in(ctx, req, tx)
				}
				return fmt.Errorf("subscribe %s: %w", req.CallID().Value(), sipx.ErrNoDialog)
			}
			return m.refresh(s, req, tx)
		}
		return m.subscribe(ctx, req, tx)
	}
}

func (m *Manager) badEvent(req *sip.Request, event string) error {
	names := make([]string, 0, len(m.pkgs))
	for _, p := range m.pkgs {
		names = append(names, p.Event())
	}
	return &sipx.StatusError{Code: 489, Reason: "Bad Event", Headers: []sip.Header{sip.NewHeader("Allow-Events", strings.Join(names, ", "))},
		Err: fmt.Errorf("subscribe to %q: %w", event, ErrBadEvent)}
}

// subscribe creates a subscription.
func (m *Manager) subscribe(ctx context.Context, req *sip.Request, tx sipx.Tx) error {
	event := eventOf(req)
	pkg, ok := m.pkgs[event]
	if !ok {
		return m.badEvent(req, event)
	}
	resource := req.Recipient.User
	if err := m.deps.Authorize(ctx, req, event, resource); err != nil {
		return err
	}
	exp, err := expiresOf(req)
	if err != nil {
		return err
	}
	if exp < 0 || exp > m.maxExpires {
		exp = m.maxExpires
	}
	src, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return fmt.Errorf("subscribe from %q: %w", req.Source(), sipx.ErrBadRequest)
	}
	transport := strings.ToLower(req.Transport())
	via, ok := m.deps.Local(transport, src)
	if !ok {
		return fmt.Errorf("subscribe from %s: %w", src, sipx.ErrUnavailable)
	}
	s := &sub{m: m, pkg: pkg, resource: resource, callID: req.CallID().Value(), localTag: sipx.NewTag(),
		remoteTag: tagOf(req.From().Params), local: *req.To().Address.Clone(), remote: *req.From().Address.Clone(),
		dest: req.Source(), transport: transport, via: via}
	s.key = s.callID + "|" + s.localTag
	s.target = s.remote
	if c := req.Contact(); c != nil {
		s.target = *c.Address.Clone()
	}
	for _, h := range req.GetHeaders("Record-Route") {
		if rr, ok := h.(*sip.RecordRouteHeader); ok {
			s.routeSet = append(s.routeSet, *rr.Address.Clone())
		}
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return fmt.Errorf("subscribe: %w", sipx.ErrShuttingDown)
	}
	if exp > 0 {
		m.subs[s.key] = s
	}
	m.mu.Unlock()
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.To().Params.Add("tag", s.localTag)
	res.AppendHeader(via.Contact(resource))
	res.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(exp/time.Second))))
	m.log.Debug("subscription", "event", event, "resource", resource, "expires", exp, "call_id", s.callID)
	if exp == 0 {
		// a fetch (RFC 6665 §4.4.3): one NOTIFY, terminated
		s.ended = true
		if err := tx.Respond(res); err != nil {
			return err
		}
		m.goNotify(s, "terminated;reason=timeout")
		return nil
	}
	s.arm(exp)
	if err := tx.Respond(res); err != nil {
		m.drop(s)
		return err
	}
	m.goNotify(s, "")
	return nil
}

// refresh takes a SUBSCRIBE in a subscription's dialog: a new expiry, or
// Expires: 0 to end it (a final NOTIFY, RFC 6665 §4.4.1).
func (m *Manager) refresh(s *sub, req *sip.Request, tx sipx.Tx) error {
	if eventOf(req) != strings.ToLower(s.pkg.Event()) {
		return m.badEvent(req, eventOf(req))
	}
	exp, err := expiresOf(req)
	if err != nil {
		return err
	}
	if exp < 0 || exp > m.maxExpires {
		exp = m.maxExpires
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(s.via.Contact(s.resource))
	res.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(exp/time.Second))))
	if c := req.Contact(); c != nil {
		s.mu.Lock()
		s.target = *c.Address.Clone()
		s.mu.Unlock()
	}
	if exp == 0 {
		m.drop(s)
		if err := tx.Respond(res); err != nil {
			return err
		}
		m.goNotify(s, "terminated;reason=timeout")
		return nil
	}
	s.arm(exp)
	if err := tx.Respond(res); err != nil {
		return err
	}
	m.goNotify(s, "")
	return nil
}

// arm (re)starts s's expiry timer.
func (s *sub) arm(exp time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expiry = s.m.clock.Now().Add(exp)
	if s.timer != nil {
		s.timer.Stop()
	}
	s.timer = s.m.clock.AfterFunc(exp, func() {
		s.mu.Lock()
		due := !s.ended && !s.m.clock.Now().Before(s.expiry)
		s.mu.Unlock()
		if due {
			s.m.log.Debug("subscription expired", "resource", s.resource, "call_id", s.callID)
			s.m.drop(s)
			s.m.goNotify(s, "terminated;reason=timeout")
		}
	})
}

// drop forgets s.
func (m *Manager) drop(s *sub) {
	m.mu.Lock()
	delete(m.subs, s.key)
	m.mu.Unlock()
	s.mu.Lock()
	s.ended = true
	if s.timer != nil {
		s.timer.Stop()
	}
	s.mu.Unlock()
}

// Notify sends the current state of resource in event to every
// subscription to it (the state changed).
func (m *Manager) Notify(event, resource string) {
	m.mu.Lock()
	var subs []*sub
	for _, s := range m.subs {
		if s.resource == resource && strings.EqualFold(s.pkg.Event(), event) {
			subs = append(subs, s)
		}
	}
	m.mu.Unlock()
	for _, s := range subs {
		m.goNotify(s, "")
	}
}

func tagOf(p sip.HeaderParams) string {
	t, _ := p.Get("tag")
	return t
}
