package memreturn

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

const mib = 1 << 20

// load is a scripted process: from each start on, it allocates rate
// bytes/s; it retains 10 MiB plus a quarter of what it allocated since the
// last release.
type load struct {
	mu       sync.Mutex
	t0       time.Time
	phases   []phase
	base     uint64          // allocs at the last release
	released []time.Duration // when release ran, since t0
}

type phase struct {
	from time.Duration
	rate uint64 // bytes/s
}

// allocs integrates the phases up to now.
func (l *load) allocs(now time.Duration) uint64 {
	var total float64
	for i, p := range l.phases {
		end := now
		if i+1 < len(l.phases) && l.phases[i+1].from < end {
			end = l.phases[i+1].from
		}
		if end > p.from {
			total += float64(p.rate) * (end - p.from).Seconds()
		}
	}
	return uint64(total)
}

func (l *load) sample() Sample {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.allocs(time.Since(l.t0))
	return Sample{Allocs: a, Retained: 10*mib + (a-l.base)/4}
}

func (l *load) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.released = append(l.released, time.Since(l.t0))
	l.base = l.allocs(time.Since(l.t0))
}

// TestReleasesOncePerBurst runs a Returner in virtual time against scripted
// loads and checks when it released.
func TestReleasesOncePerBurst(t *testing.T) {
	cases := []struct {
		name   string
		phases []phase
		// releases within [want[i], want[i]+Every]
		want []time.Duration
	}{
		{"storm then idle: one release once Linger passed", []phase{{0, 300 * mib}, {10 * time.Second, 64 << 10}}, []time.Duration{42 * time.Second}},
		{"steady load never counts as quiet", []phase{{0, 20 * mib}}, nil},
		{"a burst too small for a collection", []phase{{0, 60 * mib}, {2 * time.Second, 0}}, nil},
		{"quiet shorter than Linger, then busy again", []phase{{0, 300 * mib}, {10 * time.Second, 0}, {30 * time.Second, 50 * mib}, {60 * time.Second, 0}}, []time.Duration{92 * time.Second}},
		{"two bursts, two releases", []phase{{0, 300 * mib}, {10 * time.Second, 0}, {100 * time.Second, 300 * mib}, {110 * time.Second, 0}}, []time.Duration{42 * time.Second, 142 * time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := &load{t0: time.Now(), phases: tc.phases}
				r := New(Config{Linger: 32 * time.Second}, WithSampler(l.sample, l.release))
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan error, 1)
				go func() { done <- r.Run(ctx) }()
				time.Sleep(200 * time.Second)
				cancel()
				if err := <-done; err != context.Canceled {
					t.Fatalf("Run = %v, want context.Canceled", err)
				}
				l.mu.Lock()
				defer l.mu.Unlock()
				if len(l.released) != len(tc.want) {
					t.Fatalf("released at %v, want %d releases near %v", l.released, len(tc.want), tc.want)
				}
				for i, at := range l.released {
					if at < tc.want[i] || at > tc.want[i]+DefaultEvery {
						t.Errorf("release %d at %v, want within %v of %v", i, at, DefaultEvery, tc.want[i])
					}
				}
				st := r.Stats()
				if st.Releases != uint64(len(tc.want)) {
					t.Errorf("Stats().Releases = %d, want %d", st.Releases, len(tc.want))
				}
				if len(tc.want) > 0 && st.ReleasedBytes == 0 {
					t.Errorf("Stats().ReleasedBytes = 0 after %d releases", st.Releases)
				}
			})
		})
	}
}

// TestRuntimeReleaseShrinksHeap: the real sampler sees an allocation burst,
// and the real release gives its garbage back.
func TestRuntimeReleaseShrinksHeap(t *testing.T) {
	before := readRuntime()
	garbage := make([][]byte, 0, 64)
	for range 64 {
		garbage = append(garbage, make([]byte, mib))
	}
	busy := readRuntime()
	runtime.KeepAlive(garbage) // alive until busy was sampled, garbage from here on
	if busy.Allocs-before.Allocs < 64*mib {
		t.Fatalf("allocated %d bytes, sampler saw %d", 64*mib, busy.Allocs-before.Allocs)
	}
	r := New(Config{Linger: time.Second})
	r.release()
	after := readRuntime()
	if after.Retained+32*mib > busy.Retained {
		t.Errorf("heap held %d MiB with 64 MiB of garbage, %d MiB after the release", busy.Retained/mib, after.Retained/mib)
	}
}
