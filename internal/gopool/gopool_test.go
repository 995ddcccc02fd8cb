package gopool

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"pbxlab/internal/leakcheck"
)

// TestReuse (synctest: the worker is waiting before the next job comes):
// jobs run one after the other reuse one worker; the idle worker ends at
// Close.
func TestReuse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New()
		for i := range 100 {
			done := make(chan struct{})
			p.Go(func() { close(done) })
			<-done
			synctest.Wait()
			if s := p.Stats(); s.Started != 1 || s.Idle != 1 {
				t.Fatalf("after job %d: %+v, want 1 worker started, idle", i, s)
			}
		}
		p.Close()
		synctest.Wait()
		if s := p.Stats(); s.Idle != 0 {
			t.Fatalf("after Close: %+v, want no idle worker", s)
		}
	})
}

// TestBlockingJobsDoNotStarveOthers: a job that blocks does not hold up
// the next; 200 jobs blocked at once each get a worker, after they end
// only MaxIdle wait, and those end after the idle timeout.
func TestBlockingJobsDoNotStarveOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
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
		synctest.Wait()
		if s := p.Stats(); s.Idle != 8 {
			t.Errorf("after the jobs: %+v, want 8 idle", s)
		}
		time.Sleep(DefaultIdleTimeout)
		synctest.Wait()
		if s := p.Stats(); s.Idle != 0 {
			t.Errorf("after the idle timeout: %+v, want none idle", s)
		}
	})
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

// TestIdleTimeout (virtual time): an idle worker ends after the idle
// timeout; a job within it reuses the worker.
func TestIdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(WithIdleTimeout(time.Second))
		defer p.Close()
		run := func() {
			done := make(chan struct{})
			p.Go(func() { close(done) })
			<-done
		}
		run()
		time.Sleep(999 * time.Millisecond)
		synctest.Wait()
		if s := p.Stats(); s.Idle != 1 {
			t.Fatalf("before the timeout: %+v, want the worker idle", s)
		}
		run()
		if s := p.Stats(); s.Started != 1 {
			t.Fatalf("a job within the timeout started a worker: %+v", s)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if s := p.Stats(); s.Idle != 0 {
			t.Fatalf("after the timeout: %+v, want no idle worker", s)
		}
		run()
		if s := p.Stats(); s.Started != 2 {
			t.Fatalf("after the timeout: %+v, want a new worker", s)
		}
	})
}
