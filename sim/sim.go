// Package sim runs a scenario (package sim/scenario) against any SIP PBX
// reachable by address: it starts a population of simulated phones (package
// sim/phone), registers them, places the calls of the scenario's plan
// (scenario.Plan: arrivals, callers, callees, holds and media drawn from the
// seed alone), proves two-way audio on answered media calls, hangs up,
// unregisters, and returns a report (package sim/report) with the
// scenario's thresholds checked (package sim/threshold). A scenario's
// carriers (package sim/carrier) take the calls the population dials out
// through the PBX's trunks and call the PBX's DIDs (trunk.go).
package sim

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/internal/pcapio"
	"pbxlab/sim/phone"
	"pbxlab/sim/report"
	"pbxlab/sim/scenario"
)

// Target is the PBX under test.
type Target struct {
	// Addr is the PBX's SIP address, host:port (registrar and outbound proxy).
	Addr string
	// Transport is "udp" or "tcp"; "" uses the scenario's population transport.
	Transport string
	// Domain is the SIP domain of the phones' addresses of record; "" uses
	// Addr's host.
	Domain string
}

// Option configures Run.
type Option func(*config)

type config struct {
	tick     time.Duration
	log      *slog.Logger
	clock    clock.Clock
	capture  *pcapio.Writer
	localIP  netip.Addr
	carriers *Carriers
	shard    scenario.Shard
	startAt  time.Time
	// afterRegister, if set, is called once the phones are registered,
	// before the calls, with the run's phones (tests: a barrier between
	// shards, muting the phones).
	afterRegister func(context.Context, []*phone.Phone)
	live          *report.Live
	// targetTimeout bounds the first REGISTER (WithTargetTimeout).
	targetTimeout time.Duration
	// listen opens the phones' UDP signalling socket (WithPacketListener);
	// nil: net.ListenPacket.
	listen func(network, address string) (net.PacketConn, error)
	// mediaListen opens the phones' RTP sockets (WithMediaListener); nil:
	// net.ListenPacket.
	mediaListen func(network, address string) (net.PacketConn, error)
	// signallingOnly runs the phones without RTP (WithSignallingOnly).
	signallingOnly bool
	// registered is WithRegistered's hook.
	registered func(phones int, took time.Duration)
}

// defaultTargetTimeout is how long the first REGISTER may go unanswered:
// a UDP request has been sent four times by then (T1 = 500 ms).
const defaultTargetTimeout = 5 * time.Second

func newConfig(opts []Option) config {
	cfg := config{log: slog.New(slog.DiscardHandler), clock: clock.New(), targetTimeout: defaultTargetTimeout, tick: DefaultTimerTick}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// WithLogger sets the logger; default discards.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithClock sets the clock pacing calls, holds and registration refreshes;
// default the wall clock. Media always runs in real time.
func WithClock(c clock.Clock) Option { return func(cfg *config) { cfg.clock = c } }

// DefaultTimerTick is the default of WithTimerTick.
const DefaultTimerTick = 5 * time.Millisecond

// WithTimerTick sets the grid the run's waits end on: a call starts, a
// signalling-only call hangs up (and the run's other waits: the calls'
// duration, a shard's start) at the first multiple of d (since the Unix
// epoch) at or after its planned instant, so the calls due within one
// tick go out together. 0 keeps every instant exact. Default
// DefaultTimerTick (5 ms).
//
// Why: on a 2-core VM a datagram that wakes a sleeping receiver costs its
// sender an inter-processor wake-up, and a generator that spreads its
// messages evenly wakes the target (and itself) for nearly every one.
// SIPp's event loop sends in bursts (at 1,000 calls/s ~70 % of its
// INVITEs came less than 50 µs after the one before, the rest ~5 ms
// apart). With a 5 ms tick `pbxlab sim` at 1,000 calls/s against `sipp
// -sn uas` spent 0.203 ms of CPU per call instead of 0.261, and the UAS
// 0.114 instead of 0.165 (1.78 voluntary context switches per call
// instead of 2.53). Arrival processes keep their shape at the scale of
// seconds; setup times are measured from the INVITE actually sent.
func WithTimerTick(d time.Duration) Option {
	return func(c *config) {
		if d >= 0 {
			c.tick = d
		}
	}
}

// WithCapture records all SIP and RTP of the run into w.
func WithCapture(w *pcapio.Writer) Option { return func(c *config) { c.capture = w } }

// WithCarriers makes Run use carriers started by StartCarriers (the
// caller closes them) instead of starting the scenario's own.
func WithCarriers(cs *Carriers) Option { return func(c *config) { c.carriers = cs } }

// WithShard makes Run the i-th (0-based) of n shards of the scenario: it
// registers only its slice of the population (scenario.Shard.Range) and
// places only the plan's calls whose caller is one of its phones, capping
// its calls in progress at ceil(max_concurrent/n). Callees in other shards
// are called as phones registered elsewhere. n such runs with the same seed
// place exactly the unsharded run's calls (report.Merge combines their
// reports). A scenario with carriers cannot be sharded (ErrShardCarriers).
func WithShard(i, n int) Option {
	return func(c *config) { c.shard = scenario.Shard{Index: i, Count: n} }
}

// WithStartAt makes Run, once its phones are registered, wait until t (on
// the run's clock) before it places calls: shards started apart (separate
// processes, pods) then call phones the other shards have registered, on
// one timeline. The zero time (default) starts at once.
func WithStartAt(t time.Time) Option { return func(c *config) { c.startAt = t } }

// WithRegistered calls f once every phone has registered (or failed to),
// before the calls start, with the number of phones and how long
// registering them took; e.g. to measure the memory of a registered
// population. Not called for a population that does not register or when
// ctx ended first.
func WithRegistered(f func(phones int, took time.Duration)) Option {
	return func(c *config) { c.registered = f }
}

// WithLocalIP sets the address the phones bind and advertise; default the
// address that routes to the target. A scenario's population.local_addrs
// replace it.
func WithLocalIP(ip netip.Addr) Option { return func(c *config) { c.localIP = ip } }

// WithLive attaches the run's collector to l when the run starts, so a
// progress display or a metrics endpoint can watch the run (l.Snapshot).
func WithLive(l *report.Live) Option { return func(c *config) { c.live = l } }

// WithTargetTimeout sets how long the first REGISTER may go without any
// response before Run gives up with ErrNoAnswer; default 5 s.
func WithTargetTimeout(d time.Duration) Option { return func(c *config) { c.targetTimeout = d } }

// WithPacketListener makes the phones open their UDP signalling socket with
// listen (net.ListenPacket's signature) instead of net.ListenPacket: e.g.
// memnet.Network.ListenPacket, to run a population on an in-memory network
// inside a testing/synctest bubble (docs/VIRTUAL_TIME.md). UDP only: Run
// fails with a TCP population. Without WithLocalIP the phones bind
// 127.0.0.1. Pair it with WithSignallingOnly on a network that carries no
// RTP, or with WithMediaListener (the phones' media sockets are otherwise
// the kernel's).
func WithPacketListener(listen func(network, address string) (net.PacketConn, error)) Option {
	return func(c *config) { c.listen = listen }
}

// WithMediaListener makes the phones open their RTP sockets with listen
// instead of net.ListenPacket (phone.Config's ListenMedia), e.g. on the
// in-memory network WithPacketListener uses.
func WithMediaListener(listen func(network, address string) (net.PacketConn, error)) Option {
	return func(c *config) { c.mediaListen = listen }
}

// WithSignallingOnly runs the phones without media (phone.Config's
// SignallingOnly): no RTP socket, a placeholder SDP; audio checks fail, so
// leave audio.verify off.
func WithSignallingOnly() Option { return func(c *config) { c.signallingOnly = true } }

// Run executes sc against target and returns its report. It returns an error
// only when the run cannot start, the target does not answer (ErrNoAnswer)
// or ctx ends early; the report so far is returned with the last two (the
// phones registered are unregistered and the calls in progress ended
// first). Failed registrations and calls are in the report.
func Run(ctx context.Context, sc *scenario.Scenario, target Target, opts ...Option) (*report.Report, error) {
	cfg := newConfig(opts)
	if sc == nil {
		return nil, fmt.Errorf("run scenario: %w: nil scenario", scenario.ErrInvalid)
	}
	if _, _, err := net.SplitHostPort(target.Addr); err != nil {
		return nil, fmt.Errorf("run scenario %s against %q: %w: %w", sc.Name, target.Addr, ErrBadTarget, err)
	}
	if err := cfg.shard.Validate(); err != nil {
		return nil, fmt.Errorf("run scenario %s: %w", sc.Name, err)
	}
	if !cfg.shard.Whole() && sc.Calls.Shape == scenario.ShapeCeiling {
		return nil, fmt.Errorf("run scenario %s shard %s: %w", sc.Name, cfg.shard, ErrShardCeiling)
	}
	if !cfg.shard.Whole() && len(sc.Carriers) > 0 {
		return nil, fmt.Errorf("run scenario %s shard %s: %w", sc.Name, cfg.shard, ErrShardCarriers)
	}
	if target.Transport == "" {
		target.Transport = sc.Population.Transport
	}
	if im := sc.Population.Impairment; im.Signalling() && target.Transport == scenario.TransportTCP {
		// the scenario was validated for its own transport, not the target's
		if err := impairConfig(im).ValidateStream(); err != nil {
			return nil, fmt.Errorf("run scenario %s over tcp: %w", sc.Name, err)
		}
	}
	if cfg.carriers == nil && len(sc.Carriers) > 0 {
		cs, err := StartCarriers(sc, opts...)
		if err != nil {
			return nil, fmt.Errorf("run scenario %s: %w", sc.Name, err)
		}
		defer cs.Close()
		cfg.carriers = cs
	}
	if sc.Calls.Shape == scenario.ShapeCeiling {
		rep, err := runCeiling(ctx, sc, target, cfg)
		if err != nil {
			return rep, fmt.Errorf("run scenario %s: %w", sc.Name, err)
		}
		return rep, nil
	}
	r, err := newRunner(sc, target, cfg)
	if err != nil {
		return nil, fmt.Errorf("run scenario %s: %w", sc.Name, err)
	}
	rep, err := r.run(ctx)
	if err != nil {
		return rep, fmt.Errorf("run scenario %s: %w", sc.Name, err)
	}
	return rep, nil
}
