package gopool

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"pbxlab/internal/leakcheck"
)

// TestReuse: jobs run one after the other reuse one worker; the idle
// worker ends at Close.
func TestReuse(t *testing.T) {
	leakcheck.Check(t)
	p := New()
	defer p.Close()
	for i := range 100 {
		done := make(chan struct{})
		p.Go(func() { close(done) })
		<-done
		waitIdle(t, p, 1)
		if s := p.Stats(); s.Started != 1 {
			t.Fatalf("after job %d: %d workers started, want 1 reused", i, s.Started)
		}
	}
}

// TestBlockingJobsDoNotStarveOthers: a job that blocks does not hold up
// the next; 200 jobs blocked at once each get a worker, and after they end
// only MaxIdle wait.
func TestBlockingJobsDoNotStarveOthers(t *testing.T) {
	leakcheck.Check(t)
	p := New(WithMaxIdle(8))
	defer p.Close()
	release := make(chan struct{})
	var running sync.WaitGroup
	running.Add(200)
	for range 200 {
		p.Go(func() {
			running.Done()
			<-release
		})
	}
	running.Wait() // would hang if a job waited for another's worker
	if s := p.Stats(); s.Started != 200 {
		t.Errorf("%d workers for 200 blocked jobs", s.Started)
	}
	close(release)
	waitIdle(t, p, 8)
}

// TestNoIdle: WithMaxIdle(0) keeps no worker: every job its own goroutine.
func TestNoIdle(t *testing.T) {
	leakcheck.Check(t)
	p := New(WithMaxIdle(0))
	defer p.Close()
	for range 3 {
		done := make(chan struct{})
		p.Go(func() { close(done) })
		<-done
	}
	if s := p.Stats(); s.Started != 3 || s.Idle != 0 {
		t.Errorf("stats %+v, want 3 started, none idle", s)
	}
}

// TestGoAfterClose: a job given after Close still runs.
func TestGoAfterClose(t *testing.T) {
	leakcheck.Check(t)
	p := New()
	p.Close()
	p.Close()
	done := make(chan struct{})
	p.Go(func() { close(done) })
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the job given after Close never ran")
	}
}

// waitIdle waits until n workers are idle (a worker counts itself idle
// just after its job returns).
func waitIdle(t *testing.T, p *Pool, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for p.Stats().Idle != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d idle workers, want %d", p.Stats().Idle, n)
		}
		runtime.Gosched()
	}
}

// BenchmarkGo compares a pooled job that needs 16 KiB of stack with `go`.
func BenchmarkGo(b *testing.B) {
	deep := func(done chan struct{}) func() {
		return func() {
			var buf [16 << 10]byte
			use(buf[:])
			done <- struct{}{}
		}
	}
	b.Run("pool", func(b *testing.B) {
		p := New()
		defer p.Close()
		done := make(chan struct{})
		f := deep(done)
		for b.Loop() {
			p.Go(f)
			<-done
		}
	})
	b.Run("go", func(b *testing.B) {
		done := make(chan struct{})
		f := deep(done)
		for b.Loop() {
			go f()
			<-done
		}
	})
}

//go:noinline
func use(b []byte) { b[len(b)-1] = 1 }
