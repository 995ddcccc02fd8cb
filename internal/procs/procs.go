// Package procs runs a process on one Go processor while its load fits one
// core, and on all of them when it does not (adaptive GOMAXPROCS).
//
// A SIP server or load generator at a moderate rate is woken by the network
// thousands of times a second, and each wake-up hands work from one
// goroutine to another (socket reader, transaction, call). With more than
// one processor, every hand-over wakes an idle thread that looks for work,
// usually finds none and sleeps again; on a virtual machine each of those
// context switches is dear. Measured on this project's 2-core VM (bench/run.sh,
// one round each of pbxlab serve at fixed rates, GOMAXPROCS=1 against the
// default 2): CPU per call -24 to -39 % at 200 to 1,000 calls/s, per
// registration -8 to -41 % at 500 to 1,000/s; an event-loop UAC with no
// hand-overs at all still spent 26 % of its CPU in the runtime's sysmon
// sleeps. One processor cannot take the load of two, though: the maximum
// call rate fell 13 to 17 %.
//
// A Controller samples the process's CPU time every Period (250 ms). On one
// processor, a load of at least Widen cores (default 0.95: the one core
// full, the work queueing) for WidenAfter (1 s) raises GOMAXPROCS to Max;
// a shorter busy spell (a garbage collection, a batch of database writes)
// does not. (With Widen 0.8 for one period, or 0.9 for 500 ms, pbxlab serve
// at 1,000 calls/s, 0.71 to 0.76 of a core on average, widened within
// seconds.) On Max, a load below Narrow cores (default 0.6) for NarrowAfter
// (4 s) lowers it to 1 again. A load shows at most about 1.3 times as much
// CPU on two processors as on one (pbxlab serve at 1,000 calls/s: 0.94
// against 0.71 cores), so a load that narrows below 0.6 cores comes to less
// than 0.6 of the one core, far from Widen: the two cannot flap.
//
// A collection of a large heap is the other reason to widen (gc.go): on
// one processor the runtime marks with a fractional worker that holds the
// processor for up to ~10 ms at a time. With a heap goal of at least
// GCHeap (64 MiB) and the heap within GCAhead (80 %) of it, the Controller
// widens to Max until the collection completes (at most GCWait, 10 s),
// and the load does not narrow it meanwhile.
//
// GOMAXPROCS is per process: one Controller per process, started by the
// command that owns it (cmd/pbxlab serve and sim), never by a library.
package procs

import (
	"context"
	"log/slog"
	"runtime"
	"sync/atomic"
	"time"

	"pbxlab/internal/clock"
)

// Defaults of Config.
const (
	DefaultPeriod      = 250 * time.Millisecond
	DefaultWiden       = 0.95
	DefaultWidenAfter  = time.Second
	DefaultNarrow      = 0.6
	DefaultNarrowAfter = 4 * time.Second
)

// Config sets when a Controller changes GOMAXPROCS. Zero fields take the
// defaults above.
type Config struct {
	// Max is GOMAXPROCS when the load needs more than one core. Default:
	// GOMAXPROCS when New runs (the CPUs the process may use).
	Max int
	// Period is the sampling period.
	Period time.Duration
	// Widen is the CPU use, in cores, on one processor that raises
	// GOMAXPROCS to Max after WidenAfter.
	Widen float64
	// WidenAfter is how long the use must stay at or above Widen.
	WidenAfter time.Duration
	// Narrow is the CPU use, in cores, on Max processors below which the
	// process returns to one after NarrowAfter.
	Narrow float64
	// NarrowAfter is how long the use must stay below Narrow.
	NarrowAfter time.Duration
	// GCHeap is the smallest heap goal (bytes) at which a collection near
	// on one processor raises GOMAXPROCS to Max until it completes (gc.go;
	// default DefaultGCHeap, 64 MiB; negative: never).
	GCHeap int64
	// GCAhead is how near: the heap of objects at or above GCAhead times
	// the goal (default DefaultGCAhead).
	GCAhead float64
	// GCWait bounds how long Max is kept for a collection that does not
	// come (default DefaultGCWait).
	GCWait time.Duration
}

// Stats is what a Controller did so far.
type Stats struct {
	Procs   int    // GOMAXPROCS now
	Changes uint64 // times it changed GOMAXPROCS
}

// Controller adapts GOMAXPROCS to the load; see the package comment.
type Controller struct {
	cfg   Config
	clock clock.Clock
	log   *slog.Logger
	cpu   func() (time.Duration, bool)
	set   func(int)
	heap  func() HeapState

	// Run's state
	prevCPU time.Duration
	prevAt  time.Time
	since   time.Time // start of the current run of periods past the threshold (Widen on one processor, Narrow on Max); zero: none
	// the collection widening (gc.go)
	gcWide   bool      // on Max for a collection
	gcCycles uint64    // collections completed when it widened
	gcSince  time.Time // when it widened
	gcSkip   uint64    // collections completed when a wait timed out

	procs   atomic.Int64
	changes atomic.Uint64
}

// Option configures a Controller.
type Option func(*Controller)

// WithClock sets the clock of the sampling period.
func WithClock(c clock.Clock) Option { return func(p *Controller) { p.clock = c } }

// WithLogger sets the logger; each change is logged at Debug.
func WithLogger(l *slog.Logger) Option { return func(p *Controller) { p.log = l } }

// WithRuntime replaces the process's CPU time (ok false: unknown) and the
// setting of GOMAXPROCS (tests).
func WithRuntime(cpu func() (time.Duration, bool), set func(int)) Option {
	return func(p *Controller) { p.cpu, p.set = cpu, set }
}

// WithHeap replaces the runtime's heap figures (tests).
func WithHeap(heap func() HeapState) Option { return func(p *Controller) { p.heap = heap } }

// New returns a Controller; Run starts it.
func New(cfg Config, opts ...Option) *Controller {
	if cfg.Max <= 0 {
		cfg.Max = runtime.GOMAXPROCS(0)
	}
	if cfg.Period <= 0 {
		cfg.Period = DefaultPeriod
	}
	if cfg.Widen <= 0 {
		cfg.Widen = DefaultWiden
	}
	if cfg.WidenAfter <= 0 {
		cfg.WidenAfter = DefaultWidenAfter
	}
	if cfg.Narrow <= 0 {
		cfg.Narrow = DefaultNarrow
	}
	if cfg.NarrowAfter <= 0 {
		cfg.NarrowAfter = DefaultNarrowAfter
	}
	if cfg.GCHeap == 0 {
		cfg.GCHeap = DefaultGCHeap
	}
	if cfg.GCAhead <= 0 {
		cfg.GCAhead = DefaultGCAhead
	}
	if cfg.GCWait <= 0 {
		cfg.GCWait = DefaultGCWait
	}
	p := &Controller{cfg: cfg, clock: clock.New(), log: slog.New(slog.DiscardHandler),
		cpu: ProcessCPU, set: func(n int) { runtime.GOMAXPROCS(n) }}
	for _, o := range opts {
		o(p)
	}
	if p.heap == nil {
		p.heap = readHeap()
	}
	p.procs.Store(int64(cfg.Max))
	p.gcSkip = ^uint64(0)
	return p
}

// Stats returns what the Controller did so far; safe from any goroutine.
func (p *Controller) Stats() Stats {
	return Stats{Procs: int(p.procs.Load()), Changes: p.changes.Load()}
}

// Run starts on one processor and adapts every Period until ctx ends; it
// then restores Max and returns ctx's error. With Max 1, or when the
// process's CPU time cannot be read, it changes nothing and waits for ctx.
func (p *Controller) Run(ctx context.Context) error {
	cpu, ok := p.cpu()
	if p.cfg.Max <= 1 || !ok {
		<-ctx.Done()
		return ctx.Err()
	}
	p.prevCPU, p.prevAt = cpu, p.clock.Now()
	p.change(1, 0)
	defer p.change(p.cfg.Max, 0)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.clock.After(p.cfg.Period):
		}
		cpu, ok := p.cpu()
		if !ok {
			continue
		}
		now := p.clock.Now()
		n, load := p.observe(now, cpu)
		if p.cfg.GCHeap > 0 {
			if g := p.gcAhead(now); g != 0 {
				n = g
			} else if p.gcWide {
				n = 0 // on Max for a collection: the load does not narrow it meanwhile
			}
		}
		if n != 0 {
			p.change(n, load)
		}
	}
}

// observe takes the CPU time of now and returns the GOMAXPROCS to change
// to (0: none) and the load, in cores, that decided it.
func (p *Controller) observe(now time.Time, cpu time.Duration) (int, float64) {
	wall := now.Sub(p.prevAt)
	used := cpu - p.prevCPU
	p.prevCPU, p.prevAt = cpu, now
	if wall <= 0 {
		return 0, 0
	}
	load := used.Seconds() / wall.Seconds()
	target, past, after := p.cfg.Max, load >= p.cfg.Widen, p.cfg.WidenAfter
	if p.procs.Load() != 1 {
		target, past, after = 1, load < p.cfg.Narrow, p.cfg.NarrowAfter
	}
	if !past {
		p.since = time.Time{}
		return 0, load
	}
	if p.since.IsZero() {
		p.since = now.Add(-wall)
	}
	if now.Sub(p.since) < after {
		return 0, load
	}
	return target, load
}

func (p *Controller) change(n int, load float64) {
	p.since = time.Time{}
	if int(p.procs.Load()) == n {
		return
	}
	p.set(n)
	p.procs.Store(int64(n))
	p.changes.Add(1)
	p.log.Debug("GOMAXPROCS changed", "procs", n, "load_cores", load)
}
