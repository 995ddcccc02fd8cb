// Package gopool runs short jobs on goroutines that outlive one job.
//
// `go f()` starts f on the runtime's smallest stack; a job that needs more
// (a SIP message through the transaction layer and a call's handlers
// needs 8-32 KiB) grows it by copying (runtime.newstack, runtime.copystack)
// and the stack is freed when the goroutine ends, so the next job pays
// again: 12 % of `pbxlab serve`'s CPU at 500 calls/s went to copying
// stacks. A Pool's worker waits for the next job after each one, on the
// stack the earlier jobs grew.
//
// A Pool is unbounded: Go never waits, it starts a new worker when none
// is idle, so a job may block (a request waiting for its response)
// without holding up the others. At most MaxIdle workers wait for work,
// each for at most IdleTimeout; the rest end when their job does.
package gopool

import (
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxIdle is the number of idle workers a Pool keeps by default.
const DefaultMaxIdle = 64

// DefaultIdleTimeout is how long an idle worker waits for a job by
// default before it ends (and gives its stack back).
const DefaultIdleTimeout = time.Second

// Pool runs jobs on reused goroutines. The zero value is not usable; use
// New.
type Pool struct {
	jobs    chan func() // unbuffered: a send succeeds only into an idle worker
	quit    chan struct{}
	maxIdle int32
	idleFor time.Duration
	idle    atomic.Int32
	closing sync.Once
	started atomic.Int64 // workers started (Stats)
}

// Option configures a Pool.
type Option func(*Pool)

// WithMaxIdle sets how many idle workers wait for work (default
// DefaultMaxIdle; 0: none, every job gets a new goroutine).
func WithMaxIdle(n int) Option {
	return func(p *Pool) {
		if n >= 0 {
			p.maxIdle = int32(n)
		}
	}
}

// WithIdleTimeout sets how long an idle worker waits for a job before it
// ends (default DefaultIdleTimeout).
func WithIdleTimeout(d time.Duration) Option {
	return func(p *Pool) {
		if d > 0 {
			p.idleFor = d
		}
	}
}

// New returns a Pool; Close ends its workers.
func New(opts ...Option) *Pool {
	p := &Pool{jobs: make(chan func()), quit: make(chan struct{}), maxIdle: DefaultMaxIdle, idleFor: DefaultIdleTimeout}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Go runs f on an idle worker, or on a new one when none is idle. It
// never blocks. After Close, f still runs, on a worker that ends with it.
func (p *Pool) Go(f func()) {
	select {
	case p.jobs <- f:
		return
	default:
	}
	p.started.Add(1)
	go p.work(f)
}

func (p *Pool) work(f func()) {
	var idle *time.Timer
	defer func() {
		if idle != nil {
			idle.Stop()
		}
	}()
	for f != nil {
		f()
		f = nil
		if p.idle.Add(1) > p.maxIdle {
			p.idle.Add(-1)
			return
		}
		if idle == nil {
			idle = time.NewTimer(p.idleFor)
		} else {
			idle.Reset(p.idleFor) // Go 1.23 timers: no stale tick to drain
		}
		select {
		case f = <-p.jobs:
		case <-p.quit:
		case <-idle.C:
		}
		p.idle.Add(-1)
	}
}

// Stats are a Pool's counters.
type Stats struct {
	Started int64 // workers started since New
	Idle    int   // workers waiting for a job now
}

// Stats returns the counters.
func (p *Pool) Stats() Stats { return Stats{Started: p.started.Load(), Idle: int(p.idle.Load())} }

// Close ends the idle workers; a busy worker ends when its job does (Close
// does not wait for it). Close is idempotent.
func (p *Pool) Close() {
	p.closing.Do(func() { close(p.quit) })
}
