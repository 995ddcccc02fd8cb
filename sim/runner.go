package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"pbxlab/sim/quality"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/sim/phone"
	"pbxlab/sim/report"
	"pbxlab/sim/scenario"
)

// requestTimeout bounds one REGISTER (64*T1, RFC 3261 §17.1.2.2).
const requestTimeout = 32 * time.Second

// unregisterTimeout bounds the final un-REGISTERs when the run was cancelled.
const unregisterTimeout = 5 * time.Second

// runner is one execution of a scenario.
type runner struct {
	sc     *scenario.Scenario
	target Target
	cfg    config
	agent  *phone.Agent
	phones []*phone.Phone
	remote []string                   // calls.remote: numbers called instead of the population's
	modes  map[string]phone.Behaviour // callee behaviour by number
	col    *report.Collector
	rng    *rand.Rand // used by the call scheduler goroutine only

	registered sync.Map // *phone.Phone → struct{}: to unregister at the end
	claimed    sync.Map // *phone.Call → struct{}: callee legs matched to a caller
	active     atomic.Int64
	calls      sync.WaitGroup
}

func newRunner(sc *scenario.Scenario, target Target, cfg config) (*runner, error) {
	agent, err := phone.NewAgent(phone.Config{
		LocalIP:   cfg.localIP,
		Transport: target.Transport,
		Target:    target.Addr,
		Domain:    target.Domain,
	}, phone.WithClock(cfg.clock), phone.WithLogger(cfg.log), phone.WithCapture(cfg.capture),
		// one registry for the run's phones: exact one-way delays; 64
		// packets (1.28 s) of send times per stream are plenty for a delay
		// and keep 100,000 phones' logs small
		phone.WithQuality(quality.NewRegistry(64)))
	if err != nil {
		return nil, err
	}
	r := &runner{
		sc:     sc,
		target: target,
		cfg:    cfg,
		agent:  agent,
		modes:  map[string]phone.Behaviour{},
		col:    report.NewCollector(sc.Name, target.Addr, cfg.clock.Now()),
		rng:    newRNG(sc.Seed),
		remote: sc.Calls.Remote.Numbers(),
	}
	numbers := sc.Population.Numbers()
	for i, b := range assignBehaviours(len(numbers), sc.Behaviours, r.rng) {
		r.modes[numbers[i]] = b
	}
	for _, n := range numbers {
		p, err := agent.NewPhone(phone.PhoneConfig{
			Number:   n,
			Password: sc.Population.PasswordFor(n),
			Expires:  sc.Population.RegisterExpires,
			Answer:   phone.AnswerMode{Behaviour: r.modes[n], Delay: sc.AnswerDelay},
			OnRegister: func(_ phone.Registration, err error) {
				r.countRegistration(err)
			},
		})
		if err != nil {
			_ = agent.Close()
			return nil, err
		}
		r.phones = append(r.phones, p)
	}
	return r, nil
}

// newRNG returns the run's random source: the same seed, the same run.
func newRNG(seed int64) *rand.Rand { return rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)) }

// assignBehaviours gives n callees the scenario's mix, as exact as whole
// phones allow (largest remainder), in a seeded random order.
func assignBehaviours(n int, b scenario.Behaviours, rng *rand.Rand) []phone.Behaviour {
	mix := []struct {
		b   phone.Behaviour
		pct int
	}{{phone.Answer, b.Answer}, {phone.Busy, b.Busy}, {phone.NoAnswer, b.NoAnswer}, {phone.Reject, b.Reject}}
	counts := make([]int, len(mix))
	order := make([]int, len(mix))
	left := n
	for i, m := range mix {
		counts[i] = n * m.pct / 100
		left -= counts[i]
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool {
		return n*mix[order[x]].pct%100 > n*mix[order[y]].pct%100
	})
	for i := 0; left > 0; i = (i + 1) % len(order) {
		if mix[order[i]].pct > 0 {
			counts[order[i]]++
			left--
		}
	}
	out := make([]phone.Behaviour, 0, n)
	for i, m := range mix {
		for range counts[i] {
			out = append(out, m.b)
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func (r *runner) run(ctx context.Context) (*report.Report, error) {
	defer r.agent.Close()
	r.cfg.log.Info("scenario starting", "scenario", r.sc.Name, "target", r.target.Addr, "phones", len(r.phones),
		"local", r.agent.Addr(), "transport", r.agent.Transport())
	r.registerAll(ctx)
	if ctx.Err() == nil {
		if r.sc.Calls.Rate > 0 {
			r.placeCalls(ctx)
		} else {
			r.sleep(ctx, r.sc.Calls.Duration)
		}
	}
	r.calls.Wait()
	r.unregisterAll(ctx)
	rep := r.col.Report(r.cfg.clock.Now())
	r.cfg.log.Info("scenario finished", "scenario", r.sc.Name, "calls", rep.Calls.Attempted,
		"answered", rep.Calls.Answered, "audio_verified", rep.Audio.Verified)
	return rep, ctx.Err()
}

// registerAll registers every phone, RegisterConcurrency at a time.
func (r *runner) registerAll(ctx context.Context) {
	r.forEachPhone(ctx, func(p *phone.Phone) {
		rctx, cancel := context.WithTimeout(ctx, requestTimeout)
		defer cancel()
		_, err := p.Register(rctx)
		r.countRegistration(err)
		if err == nil {
			r.registered.Store(p, struct{}{})
		} else {
			r.cfg.log.Debug("register failed", "number", p.Number(), "error", err)
		}
	})
}

func (r *runner) countRegistration(err error) {
	if err == nil {
		r.col.Registered()
		return
	}
	r.col.RegisterFailed(phone.StatusCode(err))
}

// unregisterAll removes the bindings of the phones that registered, even
// when ctx is already done (bounded by unregisterTimeout then).
func (r *runner) unregisterAll(ctx context.Context) {
	base := context.WithoutCancel(ctx)
	timeout := requestTimeout
	if ctx.Err() != nil {
		timeout = unregisterTimeout
	}
	r.forEachPhone(base, func(p *phone.Phone) {
		if _, ok := r.registered.Load(p); !ok {
			return
		}
		uctx, cancel := context.WithTimeout(base, timeout)
		defer cancel()
		if _, err := p.Unregister(uctx); err == nil {
			r.col.Unregistered()
		} else {
			r.cfg.log.Debug("unregister failed", "number", p.Number(), "error", err)
		}
	})
}

// forEachPhone runs f for every phone with bounded concurrency.
func (r *runner) forEachPhone(ctx context.Context, f func(*phone.Phone)) {
	sem := make(chan struct{}, r.sc.Population.RegisterConcurrency)
	var wg sync.WaitGroup
	for _, p := range r.phones {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			f(p)
		})
	}
	wg.Wait()
}

// sleep waits d on the run's clock, or until ctx ends.
func (r *runner) sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	select {
	case <-r.cfg.clock.After(d):
	case <-ctx.Done():
	}
}

// placeCalls starts calls at the scenario's rate for its duration.
func (r *runner) placeCalls(ctx context.Context) {
	c := r.sc.Calls
	interval := time.Duration(float64(time.Second) / c.Rate)
	start := r.cfg.clock.Now()
	for i := 0; ; i++ {
		offset := time.Duration(i) * interval
		if offset >= c.Duration || interval <= 0 {
			return
		}
		if wait := start.Add(offset).Sub(r.cfg.clock.Now()); wait > 0 {
			r.sleep(ctx, wait)
		}
		if ctx.Err() != nil {
			return
		}
		if r.active.Load() >= int64(c.MaxConcurrent) {
			r.col.CallSkipped()
			continue
		}
		if len(r.remote) > 0 {
			caller, number := r.phones[r.rng.IntN(len(r.phones))], r.remote[r.rng.IntN(len(r.remote))]
			r.active.Add(1)
			r.calls.Go(func() {
				defer r.active.Add(-1)
				r.placeRemoteCall(ctx, caller, number)
			})
			continue
		}
		caller, callee := r.pickPair()
		r.active.Add(1)
		r.calls.Go(func() {
			defer r.active.Add(-1)
			r.placeCall(ctx, caller, callee)
		})
	}
}

// pickPair draws a caller and a different callee; it avoids callees that
// send the caller's own identity (the audio check cannot tell it from an
// echo: ErrSameIdentity).
func (r *runner) pickPair() (caller, callee *phone.Phone) {
	n := len(r.phones)
	caller = r.phones[r.rng.IntN(n)]
	for range 8 {
		callee = r.phones[r.rng.IntN(n)]
		if callee != caller && callee.Identity() != caller.Identity() {
			return caller, callee
		}
	}
	for callee == caller {
		callee = r.phones[r.rng.IntN(n)]
	}
	return caller, callee
}

// expected reports whether code is the outcome a callee behaving as b implies.
func expected(b phone.Behaviour, code int) bool {
	switch b {
	case phone.Answer:
		return code >= 200 && code < 300
	case phone.Busy:
		return code == 486 || code == 600
	case phone.Reject:
		return code == 603
	case phone.NoAnswer:
		// We cancel at ring_timeout (487) unless the PBX gives up first.
		return code == 487 || code == 408 || code == 480
	}
	return false
}

// withClockTimeout is context.WithTimeout on the run's clock.
func withClockTimeout(ctx context.Context, clk clock.Clock, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	t := clk.AfterFunc(d, func() { cancel(context.DeadlineExceeded) })
	return ctx, func() {
		t.Stop()
		cancel(context.Canceled)
	}
}

func wrapCall(caller, callee *phone.Phone, err error) error {
	return fmt.Errorf("call %s -> %s: %w", caller.Number(), callee.Number(), err)
}
