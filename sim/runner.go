package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/internal/gopool"
	"pbxlab/sim/impair"
	"pbxlab/sim/phone"
	"pbxlab/sim/quality"
	"pbxlab/sim/report"
	"pbxlab/sim/scenario"
)

// requestTimeout bounds one REGISTER (64*T1, RFC 3261 §17.1.2.2).
const requestTimeout = 32 * time.Second

// unregisterTimeout bounds the final un-REGISTERs when the run was cancelled.
const unregisterTimeout = 5 * time.Second

// shardGrace is how long a shard keeps its phones after the run's length
// (scenario RunLength) for the other shards' last calls to end.
const shardGrace = time.Second

// runner is one execution of a scenario.
type runner struct {
	sc     *scenario.Scenario
	target Target
	cfg    config
	agents []*phone.Agent // phone i is on agents[i%len(agents)]
	// phones are the population's phones by population index; nil for
	// the phones of other shards (WithShard).
	phones []*phone.Phone
	// mine are the non-nil phones (all of them unless sharded), in
	// number order; own are their numbers.
	mine []*phone.Phone
	own  map[string]*phone.Phone
	// watch measures the legs of other shards' calls (shard.go); nil
	// for an unsharded run.
	watch *legWatch
	modes map[string]phone.Behaviour // callee behaviour by number
	media map[string]bool            // whether the phone has media, by number
	col   *report.Collector
	// plan is the run's calls (scenario.Plan), drawn by the call
	// scheduler goroutine only.
	plan *scenario.Plan
	// carriers are the scenario's simulated carriers (trunk.go), nil if none.
	carriers *Carriers
	// impaired are the phones' impaired sockets (population.impairment), none if none.
	impaired []*impair.Conn
	// mediaImp sums the impairment of the phones' RTP streams.
	mediaImp *mediaTotals
	// tcpImp counts what the impairment did to the phones' TCP connections.
	tcpImp  *streamTotals
	pickMu  sync.Mutex
	pickRNG *rand.Rand // draws of the inbound calls (pick)

	registered sync.Map // *phone.Phone → struct{}: to unregister at the end
	claimed    sync.Map // *phone.Call → struct{}: callee legs matched to a caller
	active     atomic.Int64
	calls      sync.WaitGroup
	// pool runs the calls (goCall) on goroutines whose stacks earlier calls
	// grew: a new goroutine per call spent ~4 % of the generator's CPU
	// growing its stack (runtime.newstack, perf at 500 calls/s).
	pool *gopool.Pool
	// placing is how long placing the plan's calls took (a ceiling step's
	// window when the scheduler fell behind).
	placing time.Duration
}

// streamRefresh is the seed's random stream of the phones' first
// refresh times (scenario.NewRNG), apart from the plan's streams.
const streamRefresh = 0x100

func newRunner(sc *scenario.Scenario, target Target, cfg config) (*runner, error) {
	listen := cfg.listen
	var impaired []*impair.Conn // the phones' sockets, when population.impairment is set
	im := sc.Population.Impairment
	tcpImp := &streamTotals{}
	var wrapTCP func(agent int) func(net.Conn) (net.Conn, error)
	if im.Signalling() && target.Transport == phone.TCP {
		wrapTCP = impairedStreams(im, sc.Seed, cfg.clock, tcpImp)
	} else if im.Signalling() {
		if cfg.listen == nil && !cfg.localIP.IsValid() {
			cfg.localIP = routeTo(target.Addr) // an Agent given a listen func would bind 127.0.0.1
		}
		listen = impairedListen(cfg.listen, im, sc.Seed, cfg.clock, func(c *impair.Conn) { impaired = append(impaired, c) })
	}
	var media phone.MediaListenFunc
	if cfg.mediaListen != nil {
		l := cfg.mediaListen
		media = func(_ string, _ uint64, network, address string) (net.PacketConn, error) { return l(network, address) }
	}
	mediaImpaired := &mediaTotals{}
	if im.Media() {
		media = impairedMedia(cfg.mediaListen, im, sc.Seed, cfg.clock, mediaImpaired.add)
	}
	agents, err := startAgents(sc.Population, target, cfg, listen, media, wrapTCP)
	if err != nil {
		return nil, err
	}
	r := &runner{
		sc:     sc,
		target: target,
		cfg:    cfg,
		agents: agents,
		own:    map[string]*phone.Phone{},
		modes:  map[string]phone.Behaviour{},
		media:  map[string]bool{},
		col:    report.NewCollector(sc.Name, target.Addr, cfg.clock.Now()),
		plan:   scenario.NewPlan(sc, sc.Seed),
		// a stream of its own: the inbound calls do not shift the plan
		pickRNG:  scenario.NewRNG(sc.Seed, 0),
		carriers: cfg.carriers,
		impaired: impaired,
		mediaImp: mediaImpaired,
		tcpImp:   tcpImp,
		pool:     gopool.New(gopool.WithMaxIdle(callPoolIdle)),
	}
	r.col.SetNow(cfg.clock.Now)
	if cfg.live != nil {
		cfg.live.Attach(r.col)
	}
	r.phones = make([]*phone.Phone, len(r.plan.Phones))
	var onIncoming func(*phone.Call)
	if !cfg.shard.Whole() {
		r.watch = newLegWatch()
		onIncoming = r.onIncoming
	}
	refresh := scenario.NewRNG(sc.Seed, streamRefresh)
	from, to := 0.5, 0.5
	if f := sc.Population.FirstRefresh; len(f) == 2 {
		from, to = f[0], f[1]
	}
	// one closure for every phone's refreshes
	onRegister := func(_ phone.Registration, err error) { r.countRegistration(err) }
	for i, pp := range r.plan.Phones {
		n := pp.Number
		r.modes[n], r.media[n] = behaviourOf(pp.Behaviour), pp.Media
		// drawn for every phone, so a shard's phones refresh as unsharded
		first := from + (to-from)*refresh.Float64()
		if !cfg.shard.Owns(len(r.plan.Phones), i) {
			continue // another shard's: it registers and answers there
		}
		p, err := agents[i%len(agents)].NewPhone(phone.PhoneConfig{
			Number:         n,
			Password:       sc.Population.PasswordFor(n),
			Expires:        sc.Population.RegisterExpires,
			FirstRefresh:   first,
			SignallingOnly: !pp.Media,
			Answer:         phone.AnswerMode{Behaviour: r.modes[n], Delay: sc.AnswerDelay},
			OnIncoming:     onIncoming,
			OnRegister:     onRegister,
		})
		if err != nil {
			r.closeAgents()
			return nil, err
		}
		r.phones[i] = p
		r.mine = append(r.mine, p)
		r.own[n] = p
	}
	return r, nil
}

// startAgents opens the population's signalling sockets: SocketsPerAddr
// Agents on each of LocalAddrs (default the WithLocalIP address, else the
// one routing to the target), ordered so that consecutive phones (phone i
// goes to Agent i mod n) send from different addresses. listen, when not
// nil, opens each Agent's socket (WithPacketListener, the impairment).
func startAgents(pop scenario.Population, target Target, cfg config,
	listen func(network, address string) (net.PacketConn, error), media phone.MediaListenFunc,
	wrapTCP func(agent int) func(net.Conn) (net.Conn, error)) ([]*phone.Agent, error) {
	ips := []netip.Addr{cfg.localIP}
	if len(pop.LocalAddrs) > 0 {
		ips = ips[:0]
		for _, s := range pop.LocalAddrs {
			ip, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("local address %q: %w", s, err)
			}
			ips = append(ips, ip)
		}
	}
	// one registry for the run's phones: exact one-way delays; 64 packets
	// (1.28 s) of send times per stream are plenty for a delay and keep
	// 100,000 phones' logs small
	q := quality.NewRegistry(64)
	var agents []*phone.Agent
	for range max(pop.SocketsPerAddr, 1) {
		for _, ip := range ips {
			var wrap func(net.Conn) (net.Conn, error)
			if wrapTCP != nil {
				wrap = wrapTCP(len(agents))
			}
			a, err := phone.NewAgent(phone.Config{
				LocalIP:   ip,
				Transport: target.Transport,
				Target:    target.Addr,
				Domain:    target.Domain,
				// WithPacketListener, WithSignallingOnly: a population on an
				// in-memory network (virtual time)
				ListenPacket:   listen,
				SignallingOnly: cfg.signallingOnly,
				ListenMedia:    media,
				WrapTCP:        wrap,
			}, phone.WithClock(cfg.clock), phone.WithLogger(cfg.log), phone.WithCapture(cfg.capture), phone.WithQuality(q))
			if err != nil {
				for _, a := range agents {
					_ = a.Close()
				}
				return nil, err
			}
			agents = append(agents, a)
		}
	}
	return agents, nil
}

// closeAgents closes every Agent, in parallel (each waits a moment for
// its in-flight messages).
func (r *runner) closeAgents() {
	var wg sync.WaitGroup
	for _, a := range r.agents {
		wg.Go(func() { _ = a.Close() })
	}
	wg.Wait()
}

// localAddrs lists the addresses the phones send from, once each.
func (r *runner) localAddrs() []string {
	var out []string
	seen := map[netip.AddrPort]bool{}
	for _, a := range r.agents {
		if !seen[a.Addr()] {
			seen[a.Addr()] = true
			out = append(out, a.Addr().String())
		}
	}
	return out
}

// behaviourOf is the phone behaviour of a planned callee behaviour.
func behaviourOf(b scenario.Behaviour) phone.Behaviour {
	switch b {
	case scenario.CalleeBusy:
		return phone.Busy
	case scenario.CalleeNoAnswer:
		return phone.NoAnswer
	case scenario.CalleeReject:
		return phone.Reject
	}
	return phone.Answer
}

func (r *runner) run(ctx context.Context) (*report.Report, error) {
	defer r.closeAgents()
	r.cfg.log.Info("scenario starting", "scenario", r.sc.Name, "target", r.target.Addr, "phones", len(r.own), "shard", r.cfg.shard,
		"local", r.localAddrs(), "transport", r.agents[0].Transport())
	var err error
	if r.sc.Population.Registers() {
		regStart := r.cfg.clock.Now()
		err = r.registerAll(ctx)
		if err == nil && r.cfg.registered != nil && ctx.Err() == nil {
			r.cfg.registered(len(r.mine), r.cfg.clock.Now().Sub(regStart))
		}
	}
	if err == nil && r.cfg.afterRegister != nil {
		r.cfg.afterRegister(ctx, r.mine)
	}
	if err == nil && !r.cfg.startAt.IsZero() {
		r.sleep(ctx, r.cfg.startAt.Sub(r.cfg.clock.Now()))
	}
	start := r.cfg.clock.Now()
	if err == nil && ctx.Err() == nil {
		r.inboundCalls(ctx)
		if r.sc.Calls.Placing() {
			r.placeCalls(ctx)
			r.placing = r.cfg.clock.Now().Sub(start)
		} else {
			r.sleep(ctx, r.sc.Calls.Duration)
		}
	}
	r.calls.Wait()
	r.pool.Close()
	if !r.cfg.shard.Whole() {
		if err == nil {
			// the other shards may still be calling this shard's phones
			r.sleep(ctx, start.Add(r.sc.RunLength()+shardGrace).Sub(r.cfg.clock.Now()))
		}
		r.watch.close()
	}
	r.unregisterAll(ctx)
	rep := r.col.Report(r.cfg.clock.Now())
	rep.Seed = r.sc.Seed
	if !r.cfg.shard.Whole() {
		rep.Shard = r.cfg.shard.String()
	}
	rep.CheckThresholds(r.sc.Checks)
	for _, im := range r.impaired {
		st := im.Stats()
		r.cfg.log.Info("impairment", "sent", st.Sent, "sent_lost", st.SentLost, "sent_duplicated", st.SentDup,
			"received", st.Received, "received_lost", st.RecvLost, "received_duplicated", st.RecvDup,
			"nat_dropped", st.NATDropped, "nat_bindings", st.Bindings)
	}
	if st, n := r.tcpImp.total(); n > 0 {
		r.cfg.log.Info("tcp impairment", "connections", n, "dropped", st.drops,
			"sent", st.Sent, "sent_retransmitted", st.SentRetrans, "sent_delay_mean_ms", meanMS(st.SentDelay, st.Sent),
			"received", st.Received, "received_retransmitted", st.RecvRetrans, "received_delay_mean_ms", meanMS(st.ReceivedDelay, st.Received))
	}
	if st, n := r.mediaImp.total(); n > 0 {
		r.cfg.log.Info("media impairment", "streams", n, "sent", st.Sent, "sent_lost", st.SentLost, "sent_duplicated", st.SentDup,
			"received", st.Received, "received_lost", st.RecvLost, "received_duplicated", st.RecvDup)
	}
	r.cfg.log.Info("scenario finished", "scenario", r.sc.Name, "calls", rep.Calls.Attempted,
		"answered", rep.Calls.Answered, "audio_verified", rep.Audio.Verified)
	if err == nil {
		err = ctx.Err()
	}
	return rep, err
}

// registerAll registers every phone, RegisterConcurrency at a time. The
// first phone registers alone, within the target timeout: a target that
// sends no response at all fails the run with ErrNoAnswer at once rather
// than every phone waiting out its transaction timeout.
func (r *runner) registerAll(ctx context.Context) error {
	if len(r.mine) == 0 {
		return nil
	}
	first := r.mine[0]
	if err := r.register(ctx, first, r.cfg.targetTimeout); err != nil && phone.StatusCode(err) == 0 && ctx.Err() == nil {
		return fmt.Errorf("%w: %s sent no final response to a REGISTER within %s: %w", ErrNoAnswer, r.target.Addr, r.cfg.targetTimeout, err)
	}
	r.forEachPhone(ctx, r.mine[1:], func(p *phone.Phone) { _ = r.register(ctx, p, requestTimeout) })
	return nil
}

// register registers p and counts the outcome.
func (r *runner) register(ctx context.Context, p *phone.Phone, timeout time.Duration) error {
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := p.Register(rctx)
	r.countRegistration(err)
	if err == nil {
		r.registered.Store(p, struct{}{})
		r.col.Bound(1)
	} else {
		r.cfg.log.Debug("register failed", "number", p.Number(), "error", err)
	}
	return err
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
	r.forEachPhone(base, r.mine, func(p *phone.Phone) {
		if _, ok := r.registered.Load(p); !ok {
			return
		}
		uctx, cancel := context.WithTimeout(base, timeout)
		defer cancel()
		if _, err := p.Unregister(uctx); err == nil {
			r.col.Unregistered()
			r.col.Bound(-1)
		} else {
			r.cfg.log.Debug("unregister failed", "number", p.Number(), "error", err)
		}
	})
}

// forEachPhone runs f for every phone of phones with bounded concurrency.
func (r *runner) forEachPhone(ctx context.Context, phones []*phone.Phone, f func(*phone.Phone)) {
	sem := make(chan struct{}, r.sc.Population.RegisterConcurrency)
	var wg sync.WaitGroup
	for _, p := range phones {
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
	case <-r.cfg.clock.After(r.coalesce(d)):
	case <-ctx.Done():
	}
}

// coalesce stretches d so that it ends on the next multiple of the timer
// tick (cfg.tick, 0: d as it is).
func (r *runner) coalesce(d time.Duration) time.Duration {
	t := r.cfg.tick
	if t <= 0 {
		return d
	}
	end := r.cfg.clock.Now().Add(d).UnixNano()
	if rem := end % int64(t); rem != 0 {
		d += time.Duration(int64(t) - rem)
	}
	return d
}

// placeCalls starts the plan's calls at their times (on the run's clock).
// A call due while max_concurrent calls are in progress is skipped; the
// plan goes on regardless, so the same seed places the same calls.
func (r *runner) placeCalls(ctx context.Context) {
	start := r.cfg.clock.Now()
	maxConcurrent := int64(r.cfg.shard.MaxConcurrent(r.sc.Calls.MaxConcurrent))
	for {
		pc, ok := r.plan.NextIn(r.cfg.shard)
		if !ok {
			return
		}
		if wait := start.Add(pc.At).Sub(r.cfg.clock.Now()); wait > 0 {
			r.sleep(ctx, wait)
		}
		if ctx.Err() != nil {
			return
		}
		if r.active.Load() >= maxConcurrent {
			r.col.CallSkipped()
			continue
		}
		caller := r.phones[pc.Caller]
		if pc.Media {
			r.col.MediaCall()
		}
		r.active.Add(1)
		r.col.CallStarted()
		r.goCall(func() {
			defer r.col.CallDone()
			defer r.active.Add(-1)
			switch {
			case pc.Carrier >= 0 && (r.carriers == nil || pc.Carrier >= len(r.carriers.list)):
				// WithCarriers started for another scenario: nothing to call
				r.cfg.log.Info("no carrier for a planned call", "carrier", pc.Carrier)
				r.col.Call(report.CallOutcome{})
			case pc.Carrier >= 0:
				r.placeTrunkCall(ctx, caller, r.carriers.list[pc.Carrier], pc)
			case pc.Callee < 0:
				r.placeRemoteCall(ctx, caller, pc)
			case r.phones[pc.Callee] == nil:
				r.placeShardCall(ctx, caller, pc)
			default:
				r.placeCall(ctx, caller, r.phones[pc.Callee], pc)
			}
		})
	}
}

// callPoolIdle bounds the idle goroutines kept for the next calls (each
// keeps the 8-32 KiB stack a call grew, for at most a second).
const callPoolIdle = 256

// goCall runs f, one call, on the pool; r.calls waits for it.
func (r *runner) goCall(f func()) {
	r.calls.Add(1)
	r.pool.Go(func() {
		defer r.calls.Done()
		f()
	})
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
