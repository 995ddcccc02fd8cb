package procs

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeLoad is a process whose CPU use, in cores, the test sets; its CPU
// time is the integral of that load over (virtual) time.
type fakeLoad struct {
	mu    sync.Mutex
	load  float64
	last  time.Time
	total time.Duration
	sets  []int
}

func newFakeLoad() *fakeLoad { return &fakeLoad{last: time.Now()} }

func (f *fakeLoad) accrue() {
	now := time.Now()
	f.total += time.Duration(f.load * float64(now.Sub(f.last)))
	f.last = now
}

func (f *fakeLoad) cpu() (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accrue()
	return f.total, true
}

func (f *fakeLoad) setLoad(cores float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accrue()
	f.load = cores
}

func (f *fakeLoad) set(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sets = append(f.sets, n)
}

func (f *fakeLoad) changes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.sets...)
}

// stopRun ends a Controller's Run (cancel), checks that it returned
// context.Canceled and returns every GOMAXPROCS it set.
func stopRun(t *testing.T, cancel context.CancelFunc, done <-chan error, f *fakeLoad) []int {
	t.Helper()
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	return f.changes()
}

// step is a load held for a while, and the GOMAXPROCS expected after it.
type step struct {
	cores float64
	for_  time.Duration
	want  int
}

func TestControllerFollowsTheLoad(t *testing.T) {
	for _, tc := range []struct {
		name        string
		steps       []step
		wantChanges []int // every GOMAXPROCS set, in order, before Run returns
	}{
		{name: "idle stays on one", steps: []step{{0, 10 * time.Second, 1}},
			wantChanges: []int{1, 4}},
		{name: "light load stays on one", steps: []step{{0.6, 10 * time.Second, 1}},
			wantChanges: []int{1, 4}},
		{name: "a full core widens after WidenAfter",
			steps:       []step{{0.1, time.Second, 1}, {1, 900 * time.Millisecond, 1}, {1, 200 * time.Millisecond, 4}},
			wantChanges: []int{1, 4}},
		{name: "busy spells shorter than WidenAfter do not widen",
			steps: []step{{1, 750 * time.Millisecond, 1}, {0.5, 250 * time.Millisecond, 1},
				{0.97, 750 * time.Millisecond, 1}, {0.5, 250 * time.Millisecond, 1},
				{1, 250 * time.Millisecond, 1}, {0.9, 5 * time.Second, 1}},
			wantChanges: []int{1, 4}},
		{name: "a moderate load keeps it wide",
			steps:       []step{{1.5, time.Second, 4}, {0.7, 20 * time.Second, 4}},
			wantChanges: []int{1, 4}},
		{name: "a quiet spell shorter than NarrowAfter keeps it wide",
			steps:       []step{{1.5, time.Second, 4}, {0.1, 3 * time.Second, 4}, {0.7, time.Second, 4}, {0.5, 3 * time.Second, 4}},
			wantChanges: []int{1, 4}},
		{name: "quiet for NarrowAfter narrows",
			steps:       []step{{1.5, time.Second, 4}, {0.1, 4500 * time.Millisecond, 1}, {0.3, 10 * time.Second, 1}},
			wantChanges: []int{1, 4, 1, 4}},
		{name: "bursts widen each time",
			steps: []step{{2, time.Second, 4}, {0, 5 * time.Second, 1}, {3, time.Second, 4},
				{0, 5 * time.Second, 1}},
			wantChanges: []int{1, 4, 1, 4, 1, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFakeLoad()
				c := New(Config{Max: 4}, WithRuntime(f.cpu, f.set))
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan error, 1)
				go func() { done <- c.Run(ctx) }()
				synctest.Wait()
				if got := c.Stats().Procs; got != 1 {
					t.Fatalf("at start: procs %d, want 1", got)
				}
				for i, s := range tc.steps {
					f.setLoad(s.cores)
					time.Sleep(s.for_)
					synctest.Wait()
					if got := c.Stats().Procs; got != s.want {
						t.Fatalf("step %d (%.2f cores for %v): procs %d, want %d", i, s.cores, s.for_, got, s.want)
					}
				}
				got := stopRun(t, cancel, done, f)
				if !slices.Equal(got, tc.wantChanges) {
					t.Fatalf("GOMAXPROCS set to %v, want %v", got, tc.wantChanges)
				}
				if st := c.Stats(); st.Procs != 4 || st.Changes != uint64(len(got)) {
					t.Fatalf("after Run: %+v, want procs 4 and %d changes", st, len(got))
				}
			})
		})
	}
}

func TestControllerLeavesAloneWhatItCannotAdapt(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  int
		cpu  func() (time.Duration, bool)
	}{
		{"one CPU", 1, func() (time.Duration, bool) { return 0, true }},
		{"CPU time unknown", 4, func() (time.Duration, bool) { return 0, false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var sets []int
				c := New(Config{Max: tc.max}, WithRuntime(tc.cpu, func(n int) { sets = append(sets, n) }))
				ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
				defer cancel()
				if err := c.Run(ctx); err != context.DeadlineExceeded {
					t.Fatalf("Run returned %v", err)
				}
				if len(sets) != 0 || c.Stats().Changes != 0 {
					t.Fatalf("GOMAXPROCS set to %v (%+v), want untouched", sets, c.Stats())
				}
			})
		})
	}
}

// TestControllerOnTheRuntime runs a Controller on the real runtime: an idle
// process goes to one processor, two goroutines burning CPU bring it back
// to Max, and the end of Run restores Max.
func TestControllerOnTheRuntime(t *testing.T) {
	orig := runtime.GOMAXPROCS(0)
	if orig < 2 {
		t.Skip("GOMAXPROCS is 1: nothing to adapt")
	}
	t.Cleanup(func() { runtime.GOMAXPROCS(orig) })
	// Widen 0.3: on a machine other tests keep busy (CI runs packages in
	// parallel on 2 cores) two burning goroutines may get less than the
	// default 0.95 of a core, and the rule under test is the same
	c := New(Config{Period: 20 * time.Millisecond, Widen: 0.3})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	waitProcs := func(want int, what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for runtime.GOMAXPROCS(0) != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s: GOMAXPROCS %d, want %d (%+v)", what, runtime.GOMAXPROCS(0), want, c.Stats())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitProcs(1, "idle")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for x := 0; ; x++ {
				if x%1024 == 0 {
					select {
					case <-stop:
						return
					default:
					}
				}
			}
		})
	}
	waitProcs(orig, "two goroutines burning CPU")
	close(stop)
	wg.Wait()
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Run returned %v", err)
	}
	if got := runtime.GOMAXPROCS(0); got != orig {
		t.Fatalf("after Run: GOMAXPROCS %d, want %d", got, orig)
	}
}
