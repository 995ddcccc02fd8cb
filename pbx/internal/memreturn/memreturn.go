// Package memreturn gives back to the operating system the heap that a
// burst of traffic (a registration storm, a call spike) left behind, once
// the process is quiet again.
//
// Go's runtime keeps freed heap pages mapped until its background
// scavenger returns them, and it only returns what lies above the next
// heap goal (twice the live heap at the last collection, with GOGC=100).
// After a storm nothing allocates, so no collection runs (the forced one
// comes every 2 minutes) and the goal stays where the storm put it: the
// PBX keeps the storm's peak resident. A REGISTER storm of 100,000
// bindings left ~3.6 KB of resident memory per binding for 0.8 KB of live
// heap.
//
// A Returner samples the process's allocation rate. A period with more
// than QuietRate bytes/s allocated counts as busy; once the busy periods
// since the last release allocated at least MinBurst bytes and the process
// has then been quiet for Linger (the life of the state a request leaves
// behind: SIP transactions and replayed responses, 64*T1), it collects
// and returns every free page at once (debug.FreeOSMemory). It does this
// once per burst: a load above QuietRate never counts as quiet, a lighter
// one (or none) gets one release after each burst and is not collected
// again until the next burst.
package memreturn

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"time"

	"pbxlab/internal/clock"
)

// Defaults of Config.
const (
	DefaultEvery     = 2 * time.Second
	DefaultQuietRate = 8 << 20   // bytes/s: ~160 calls/s (a call allocates ~52 KB: bench profile at 500 calls/s)
	DefaultMinBurst  = 128 << 20 // bytes: ~2,500 calls
)

// Config sets when a Returner releases memory. Zero fields take the
// defaults above; Linger has none (the caller knows its state's life).
type Config struct {
	// Linger is how long the process must stay quiet after a burst: the
	// life of what requests leave behind (64*T1 for SIP transactions).
	Linger time.Duration
	// Every is the sampling period.
	Every time.Duration
	// QuietRate is the allocation rate (bytes/s) below which a period is
	// quiet.
	QuietRate uint64
	// MinBurst is how many bytes the busy periods must have allocated for
	// a release to be worth a full collection.
	MinBurst uint64
}

// Sample is the process's heap at one instant.
type Sample struct {
	Allocs   uint64 // bytes allocated since the process started
	Retained uint64 // heap bytes held from the OS: objects, unused and free spans
}

// Stats counts the releases so far.
type Stats struct {
	Releases      uint64 // collections run to return memory
	ReleasedBytes uint64 // heap bytes no longer held after them
}

// Returner releases memory after bursts; see the package comment.
type Returner struct {
	cfg     Config
	clock   clock.Clock
	log     *slog.Logger
	sample  func() Sample
	release func()

	// observe's state; only Run's goroutine touches it
	prev     Sample
	started  bool
	burst    uint64    // bytes allocated by the busy periods since the last release
	lastBusy time.Time // end of the last busy period

	releases, released atomic.Uint64
}

// Option configures a Returner.
type Option func(*Returner)

// WithClock sets the clock of the sampling period.
func WithClock(c clock.Clock) Option { return func(r *Returner) { r.clock = c } }

// WithLogger sets the logger; a release is logged at Info.
func WithLogger(l *slog.Logger) Option { return func(r *Returner) { r.log = l } }

// WithSampler replaces the runtime's heap figures and the release (tests).
func WithSampler(sample func() Sample, release func()) Option {
	return func(r *Returner) { r.sample, r.release = sample, release }
}

// New returns a Returner; Run starts it.
func New(cfg Config, opts ...Option) *Returner {
	if cfg.Every <= 0 {
		cfg.Every = DefaultEvery
	}
	if cfg.QuietRate == 0 {
		cfg.QuietRate = DefaultQuietRate
	}
	if cfg.MinBurst == 0 {
		cfg.MinBurst = DefaultMinBurst
	}
	r := &Returner{cfg: cfg, clock: clock.New(), log: slog.New(slog.DiscardHandler), sample: readRuntime, release: debug.FreeOSMemory}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Stats returns the releases so far; safe from any goroutine.
func (r *Returner) Stats() Stats {
	return Stats{Releases: r.releases.Load(), ReleasedBytes: r.released.Load()}
}

// Run samples every cfg.Every and releases after each burst until ctx
// ends; it returns ctx's error.
func (r *Returner) Run(ctx context.Context) error {
	r.observe(r.clock.Now(), r.sample())
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.clock.After(r.cfg.Every):
		}
		now := r.clock.Now()
		s := r.sample()
		if !r.observe(now, s) {
			continue
		}
		start := r.clock.Now()
		r.release()
		after := r.sample()
		freed := uint64(0)
		if s.Retained > after.Retained {
			freed = s.Retained - after.Retained
		}
		r.releases.Add(1)
		r.released.Add(freed)
		r.prev = after // the collection's own allocations are not traffic
		r.log.Info("memory returned to the OS after a burst", "released_mb", freed>>20,
			"heap_mb", after.Retained>>20, "took", r.clock.Now().Sub(start))
	}
}

// observe takes the sample of now and reports whether memory is due for
// release.
func (r *Returner) observe(now time.Time, s Sample) bool {
	if !r.started {
		r.prev, r.started, r.lastBusy = s, true, now
		return false
	}
	allocated := s.Allocs - r.prev.Allocs
	r.prev = s
	if float64(allocated) >= float64(r.cfg.QuietRate)*r.cfg.Every.Seconds() {
		r.burst += allocated
		r.lastBusy = now
		return false
	}
	if r.burst < r.cfg.MinBurst || now.Sub(r.lastBusy) < r.cfg.Linger {
		return false
	}
	r.burst = 0
	return true
}

// readRuntime samples the Go runtime.
func readRuntime() Sample {
	ss := [...]metrics.Sample{
		{Name: "/gc/heap/allocs:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	metrics.Read(ss[:])
	v := func(i int) uint64 {
		if ss[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return ss[i].Value.Uint64()
	}
	return Sample{Allocs: v(0), Retained: v(1) + v(2) + v(3)}
}
