package rtpaudio

import (
	"context"
	"net/netip"
	"runtime"
	"testing"
	"time"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// noLeaks fails the test if goroutines started during it outlive it. Call it
// first so that its cleanup runs after the others.
func noLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// eventually polls cond every 20 ms until it holds or d elapses.
func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// listen opens a Stream on loopback that is closed at the end of the test.
func listen(t *testing.T, opts ...Option) *Stream {
	t.Helper()
	s, err := Listen(loopback, opts...)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// start runs fn in a goroutine and checks at cleanup that it returned nil
// once the test is over.
func start(t *testing.T, ctx context.Context, fn func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- fn(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("stream goroutine: %v", err)
			}
		case <-time.After(3 * time.Second):
			t.Error("stream goroutine did not stop")
		}
	})
}
