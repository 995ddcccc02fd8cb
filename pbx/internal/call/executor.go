package call

import (
	"runtime/debug"
	"sync"

	"pbxlab/internal/gopool"
)

// executor runs a call's work one function at a time, in the order it was
// posted. Every message, response and timer of a call goes through it, so
// the call's state needs no locks and the messages of each dialog are
// handled in order. No goroutine of the call's idles between bursts: work
// arriving on an empty queue is handed to the Manager's pool (a worker
// whose stack earlier calls grew; gopool), which returns the worker when
// the queue is empty again.
type executor struct {
	mu      sync.Mutex
	q       []func() // q[head:] is waiting; emptied, the array is reused
	head    int
	running bool
	drainFn func()       // e.drain, bound once (a method value allocates)
	pool    *gopool.Pool // the Manager's (Manager.open)
	onPanic func(r any, stack []byte)
}

// post queues f and returns at once.
func (e *executor) post(f func()) {
	e.mu.Lock()
	e.q = append(e.q, f)
	if e.running {
		e.mu.Unlock()
		return
	}
	e.running = true
	if e.drainFn == nil {
		e.drainFn = e.drain
	}
	e.mu.Unlock()
	e.pool.Go(e.drainFn)
}

// run queues f and waits until it has run.
func (e *executor) run(f func()) {
	done := make(chan struct{})
	e.post(func() {
		defer close(done)
		f()
	})
	<-done
}

func (e *executor) drain() {
	for {
		e.mu.Lock()
		if e.head == len(e.q) {
			e.q, e.head = e.q[:0], 0
			e.running = false
			e.mu.Unlock()
			return
		}
		f := e.q[e.head]
		e.q[e.head] = nil
		e.head++
		e.mu.Unlock()
		e.safe(f)
	}
}

func (e *executor) safe(f func()) {
	defer func() {
		if r := recover(); r != nil && e.onPanic != nil {
			e.onPanic(r, debug.Stack())
		}
	}()
	f()
}
