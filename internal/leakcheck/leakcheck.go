// Package leakcheck is the goroutine-leak check every network test uses
// (after pion/webrtc's practice): it snapshots the goroutine count when a
// test starts and, at cleanup, waits a bounded while for it to come back.
// It does not import testing; it takes the subset of testing.TB it needs.
package leakcheck

import (
	"runtime"
	"time"
)

// TB is the part of testing.TB the check uses.
type TB interface {
	Helper()
	Cleanup(func())
	Errorf(format string, args ...any)
}

// Check registers a cleanup on t that fails t if more goroutines run than
// when Check was called, after retrying for up to 10 s (goroutines that are
// exiting take a moment). slack allows goroutines a test legitimately
// leaves behind (e.g. a library's lazily started worker).
func Check(t TB, slack ...int) {
	t.Helper()
	allow := 0
	for _, s := range slack {
		allow += s
	}
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before+allow {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutines leaked: %d before, %d after\n%s", before, n, buf)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
