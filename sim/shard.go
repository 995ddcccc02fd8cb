package sim

import (
	"context"
	"sync"
	"time"

	"pbxlab/sim/phone"
)

// legWatch measures, in a sharded run (WithShard), the callee's leg of the
// calls other shards place to this shard's phones: the caller's shard
// measures its own leg only, so with this the merged report has the two
// streams of every answered media call, as the unsharded run has. (The
// one-way delay of such a leg is unknown: the sender is another process.)
type legWatch struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

func newLegWatch() *legWatch {
	ctx, cancel := context.WithCancel(context.Background())
	return &legWatch{ctx: ctx, cancel: cancel}
}

// onIncoming is the OnIncoming of a shard's phone (called on the agent's
// handler goroutine: it must not block). A call from one of the shard's
// own phones is measured by the caller's placeCall (hold).
func (r *runner) onIncoming(c *phone.Call) {
	if r.own[c.Remote()] != nil || !r.media[c.Phone().Number()] {
		return
	}
	w := r.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.wg.Go(func() {
		select {
		case <-c.Done():
		case <-w.ctx.Done():
			return
		}
		if code := c.Code(); code >= 200 && code < 300 {
			r.col.Quality(streamOf(c.Quality()))
		}
	})
}

// close stops watching: legs still up after legWait are not measured.
func (w *legWatch) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	t := time.AfterFunc(legWait, w.cancel)
	w.wg.Wait()
	t.Stop()
	w.cancel()
}
