package conform

import (
	"runtime"
	"testing"
	"time"
)

// checkGoroutines fails t if, a while after the test, more goroutines run
// than at its start.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(15 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutine leak: %d running, %d at start\n%s", n, before, buf)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}
