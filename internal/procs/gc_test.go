package procs

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeHeap is the runtime's heap as the test sets it.
type fakeHeap struct {
	mu sync.Mutex
	h  HeapState
}

func (f *fakeHeap) read() HeapState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.h
}

func (f *fakeHeap) set(objects, goal uint64, cycles uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.h = HeapState{Objects: objects, Goal: goal, Cycles: cycles}
}

// TestControllerWidensForACollection: on one processor with a light load,
// a heap near a large goal widens until the collection completes (or
// GCWait passes without one); a small heap, or one far from its goal,
// never does.
func TestControllerWidensForACollection(t *testing.T) {
	const mb = 1 << 20
	type hstep struct {
		objects, goal, cycles uint64
		for_                  time.Duration
		want                  int
	}
	for _, tc := range []struct {
		name        string
		steps       []hstep
		wantChanges []int
	}{
		{name: "a small heap near its goal stays on one",
			steps:       []hstep{{30 * mb, 32 * mb, 5, 5 * time.Second, 1}},
			wantChanges: []int{1, 4}},
		{name: "a large heap far from its goal stays on one",
			steps:       []hstep{{100 * mb, 200 * mb, 5, 5 * time.Second, 1}},
			wantChanges: []int{1, 4}},
		{name: "a large heap near its goal widens until the collection completes",
			steps: []hstep{{100 * mb, 200 * mb, 5, time.Second, 1}, {170 * mb, 200 * mb, 5, 300 * time.Millisecond, 4},
				{195 * mb, 200 * mb, 5, 6 * time.Second, 4}, // the light load does not narrow it meanwhile
				{120 * mb, 240 * mb, 6, 300 * time.Millisecond, 1},
				{200 * mb, 240 * mb, 6, 300 * time.Millisecond, 4}, {120 * mb, 240 * mb, 7, 300 * time.Millisecond, 1}},
			wantChanges: []int{1, 4, 1, 4, 1, 4}},
		{name: "a collection that does not come narrows after GCWait, once",
			steps: []hstep{{170 * mb, 200 * mb, 5, 9 * time.Second, 4}, {170 * mb, 200 * mb, 5, 1500 * time.Millisecond, 1},
				{170 * mb, 200 * mb, 5, 20 * time.Second, 1}, // the same collection: not again
				{180 * mb, 220 * mb, 6, 300 * time.Millisecond, 4}},
			wantChanges: []int{1, 4, 1, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFakeLoad()
				f.setLoad(0.2)
				heap := &fakeHeap{}
				c := New(Config{Max: 4}, WithRuntime(f.cpu, f.set), WithHeap(heap.read))
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan error, 1)
				go func() { done <- c.Run(ctx) }()
				synctest.Wait()
				for i, s := range tc.steps {
					heap.set(s.objects, s.goal, s.cycles)
					time.Sleep(s.for_)
					synctest.Wait()
					if got := c.Stats().Procs; got != s.want {
						t.Fatalf("step %d (heap %d of %d MB, %d collections, %v): procs %d, want %d",
							i, s.objects/mb, s.goal/mb, s.cycles, s.for_, got, s.want)
					}
				}
				if got := stopRun(t, cancel, done, f); !slices.Equal(got, tc.wantChanges) {
					t.Fatalf("GOMAXPROCS set to %v, want %v", got, tc.wantChanges)
				}
			})
		})
	}
}

// TestControllerGCHeapNegativeNeverWidens: GCHeap < 0 turns the collection
// widening off.
func TestControllerGCHeapNegativeNeverWidens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeLoad()
		heap := &fakeHeap{}
		heap.set(1<<30, 1<<30, 1)
		c := New(Config{Max: 4, GCHeap: -1}, WithRuntime(f.cpu, f.set), WithHeap(heap.read))
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		_ = c.Run(ctx)
		if got := f.changes(); len(got) != 2 {
			t.Fatalf("GOMAXPROCS set to %v, want [1 4]", got)
		}
	})
}
