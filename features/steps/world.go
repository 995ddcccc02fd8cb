package steps

import (
	"context"
	"fmt"
	"log/slog"
	"pbxlab/sim/quality"
	"slices"
	"sync"
	"time"

	"github.com/cucumber/godog"
	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// worldKey is the private context key of the scenario state.
type worldKey struct{}

// world is the state of one scenario. It lives in the scenario's
// context.Context; steps get it with worldFrom.
type world struct {
	suite *Suite
	name  string
	skip  bool // @in-process on a target that is not configurable
	log   *slog.Logger
	sess  Session
	cap   *capture

	mu      sync.Mutex // guards the maps against the simulator's callbacks
	ep      Endpoint
	started bool
	subs    map[string]Subscriber
	agents  map[string]*phone.Agent // by device name ("" = the default device)
	quality *quality.Registry       // shared by the agents: exact one-way delays
	phones  map[phoneKey]*simPhone
	raws    map[string]*rawPhone // by scenario number
	calls   []*callRec

	vm         *vmScenario         // voicemail and MWI (steps_voicemail.go)
	locs       map[string]location // subscribers' locations (steps_numbering.go)
	pbxDomain  string              // the PBX's domain (realm) for URIs naming it, when configured
	routing    *routeScenario      // carriers (steps_routes.go)
	trunks     *trunkScenario      // sim/carrier trunks (steps_trunks.go)
	lastReg    *regOutcome         // the last registration attempt a step made
	lastRawReg *rawRegOutcome
	dns        *dnsScenario         // a DNS server of the scenario's own (steps_dns.go)
	others     map[string]*otherPBX // other PBXs trunked to the scenario's (steps_interpbx.go)
	admin      *adminScenario       // the admin API (steps_admin.go)
	xfer       *transferScenario    // the last transfer asked for (steps_transfer.go)
	blf        *blfScenario         // watched lines (steps_presence.go)
}

type phoneKey struct{ name, device string }

// simPhone is a simulated phone of the scenario with the calls it received.
type simPhone struct {
	key        phoneKey
	sub        Subscriber
	p          *phone.Phone
	registered bool

	mu         sync.Mutex
	incoming   []*phone.Call
	changed    chan struct{} // closed and replaced at every new incoming call
	refreshes  int
	refreshErr error
}

// rawPhone is a scenario number played by an internal/testua UA (fixtures).
type rawPhone struct {
	name       string
	sub        Subscriber
	ua         *testua.UA
	registered bool
	granted    time.Duration
	at         time.Time // when the registration was granted
}

// callRec is one call the scenario placed; the after-scenario hook fails
// the scenario if checked is still false.
type callRec struct {
	n              int
	caller, callee string // scenario numbers
	out            *phone.Call
	base           map[phoneKey]int // callee's incoming counts when dialled
	answered       *phone.Call
	raw            *rawResult // an INVITE sent from a fixture
	hungUpBy       string
	checked        bool
	redirect       string // Contact URI of a 3xx answer
}

func (c *callRec) String() string {
	return fmt.Sprintf("call %d (%s -> %s)", c.n, c.caller, c.callee)
}

type regOutcome struct {
	name string
	reg  phone.Registration
	err  error
}

type rawRegOutcome struct {
	name string
	res  *sip.Response
}

func worldFrom(ctx context.Context) *world {
	w, _ := ctx.Value(worldKey{}).(*world)
	return w
}

// step0..step3 adapt step functions taking the world to godog's
// reflection-based signatures.
func step0(f func(context.Context, *world) error) func(context.Context) error {
	return func(ctx context.Context) error {
		w, err := stepWorld(ctx)
		if err != nil {
			return err
		}
		return f(ctx, w)
	}
}

func step1[A any](f func(context.Context, *world, A) error) func(context.Context, A) error {
	return func(ctx context.Context, a A) error {
		w, err := stepWorld(ctx)
		if err != nil {
			return err
		}
		return f(ctx, w, a)
	}
}

func step2[A, B any](f func(context.Context, *world, A, B) error) func(context.Context, A, B) error {
	return func(ctx context.Context, a A, b B) error {
		w, err := stepWorld(ctx)
		if err != nil {
			return err
		}
		return f(ctx, w, a, b)
	}
}

func step3[A, B, C any](f func(context.Context, *world, A, B, C) error) func(context.Context, A, B, C) error {
	return func(ctx context.Context, a A, b B, c C) error {
		w, err := stepWorld(ctx)
		if err != nil {
			return err
		}
		return f(ctx, w, a, b, c)
	}
}

func stepWorld(ctx context.Context) (*world, error) {
	w := worldFrom(ctx)
	switch {
	case w == nil:
		return nil, fmt.Errorf("%w: no scenario state (before hook failed?)", ErrUsage)
	case w.skip:
		return nil, godog.ErrSkip
	}
	return w, nil
}

// waitCtx bounds one wait by the suite's wait.
func (w *world) waitCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, w.suite.cfg.Wait)
}

// endpoint starts the PBX on first use.
func (w *world) endpoint(ctx context.Context) (Endpoint, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return w.ep, nil
	}
	sctx, cancel := context.WithTimeout(ctx, w.suite.cfg.Wait)
	defer cancel()
	ep, err := w.sess.Start(sctx)
	if err != nil {
		return Endpoint{}, err
	}
	w.ep, w.started = ep, true
	return ep, nil
}

// configure edits the PBX configuration; only before the PBX starts.
func (w *world) configure(edit func(*config.Config) error) error {
	var editErr error
	err := w.sess.Configure(func(c *config.Config) { editErr = edit(c) })
	if err != nil {
		return err
	}
	return editErr
}

// subscriber resolves a scenario number.
func (w *world) subscriber(name string) (Subscriber, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if s, ok := w.subs[name]; ok {
		return s, nil
	}
	s, err := w.sess.Subscriber(name)
	if err != nil {
		return Subscriber{}, err
	}
	w.subs[name] = s
	return s, nil
}

// nameOf maps a real number back to the scenario's name for it.
func (w *world) nameOf(number string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	for name, s := range w.subs {
		if s.Number == number {
			return name
		}
	}
	return number
}

// devicesOf returns the simulated phones (devices) of a scenario number.
func (w *world) devicesOf(name string) []*simPhone {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*simPhone
	for k, p := range w.phones {
		if k.name == name {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *simPhone) int {
		switch {
		case a.key.device < b.key.device:
			return -1
		case a.key.device > b.key.device:
			return 1
		}
		return 0
	})
	return out
}

// simPhoneOf returns the one phone of name (its only device, or the named one).
func (w *world) simPhoneOf(name, device string) (*simPhone, error) {
	w.mu.Lock()
	p := w.phones[phoneKey{name, device}]
	w.mu.Unlock()
	if p != nil {
		return p, nil
	}
	if device == "" {
		if ds := w.devicesOf(name); len(ds) == 1 {
			return ds[0], nil
		} else if len(ds) > 1 {
			return nil, fmt.Errorf("%w: phone %s has %d devices; name one", ErrUsage, name, len(ds))
		}
		return nil, fmt.Errorf("%w: no phone %s in this scenario (register it first)", ErrUsage, name)
	}
	return nil, fmt.Errorf("%w: no device %q of phone %s in this scenario", ErrUsage, device, name)
}

// currentCall is "the call": the last one placed.
// placedBy returns the current call, which name must have placed.
func (w *world) placedBy(name string) (*callRec, error) {
	rec, err := w.currentCall()
	if err != nil {
		return nil, err
	}
	if rec.caller != name || rec.out == nil {
		return nil, fmt.Errorf("%w: %s did not place the current call %s", ErrUsage, name, rec)
	}
	return rec, nil
}

func (w *world) currentCall() (*callRec, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.calls) == 0 {
		return nil, fmt.Errorf("%w: no call placed yet", ErrUsage)
	}
	return w.calls[len(w.calls)-1], nil
}

// callBetween is the last call whose parties are a and b (either way).
func (w *world) callBetween(a, b string) (*callRec, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.calls) - 1; i >= 0; i-- {
		c := w.calls[i]
		if (c.caller == a && c.callee == b) || (c.caller == b && c.callee == a) {
			return c, nil
		}
	}
	return nil, fmt.Errorf("%w: no call between %s and %s", ErrUsage, a, b)
}

func (w *world) addCall(c *callRec) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c.n = len(w.calls) + 1
	w.calls = append(w.calls, c)
}
