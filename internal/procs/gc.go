package procs

import (
	"runtime/metrics"
	"time"
)

// Defaults of the collection widening (Config.GCHeap, GCAhead, GCWait).
const (
	DefaultGCHeap  = 64 << 20
	DefaultGCAhead = 0.8
	DefaultGCWait  = 10 * time.Second
)

// HeapState is what the collection widening reads of the runtime: the heap
// of objects (live and not yet swept), the goal of the next collection,
// and the collections completed so far.
type HeapState struct {
	Objects, Goal, Cycles uint64
}

// readHeap reads HeapState from runtime/metrics (no stop of the world).
func readHeap() func() HeapState {
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/heap/goal:bytes"},
		{Name: "/gc/cycles/total:gc-cycles"},
	}
	return func() HeapState {
		metrics.Read(samples)
		var h HeapState
		for i, p := range []*uint64{&h.Objects, &h.Goal, &h.Cycles} {
			if samples[i].Value.Kind() == metrics.KindUint64 {
				*p = samples[i].Value.Uint64()
			}
		}
		return h
	}
}

// gcAhead decides the collection widening at now: Max when, on one
// processor, the heap is within GCAhead of a goal of at least GCHeap (a
// collection is near, and its marking is long); 1 once that collection
// completed, or after GCWait without one. 0: no change.
//
// Why: on one processor the runtime marks with a fractional worker that
// holds the processor for up to ~10 ms at a time, and a 100 MB heap (pbxlab
// serve with 100,000 bindings) takes 120-400 ms of marking: requests that
// arrive meanwhile wait. bench/run.sh's p99 set-up at 200 calls/s after
// its 100,000-binding storm was 12.5 ms on one processor, 2.7 ms with
// GOMAXPROCS=2 (Kamailio 1.3-1.9). On two processors the runtime gives
// marking a processor of its own.
func (p *Controller) gcAhead(now time.Time) int {
	h := p.heap()
	if p.gcWide {
		switch {
		case h.Cycles != p.gcCycles:
		case now.Sub(p.gcSince) >= p.cfg.GCWait:
			p.gcSkip = h.Cycles // a wait that timed out does not widen again for the same collection
		default:
			return 0
		}
		p.gcWide = false
		return 1
	}
	if p.procs.Load() != 1 || h.Cycles == p.gcSkip || int64(h.Goal) < p.cfg.GCHeap ||
		float64(h.Objects) < p.cfg.GCAhead*float64(h.Goal) {
		return 0
	}
	p.gcWide, p.gcCycles, p.gcSince = true, h.Cycles, now
	return p.cfg.Max
}
