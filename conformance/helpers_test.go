package conformance

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// corpusDirs are the copies of the torture messages kept with the PBX.
var corpusDirs = []string{
	filepath.Join("..", "pbx", "testdata", "conformance", "rfc4475"),
	filepath.Join("..", "pbx", "testdata", "conformance", "rfc5118"),
}

func loadAll(t *testing.T) []Message {
	t.Helper()
	var all []Message
	for _, d := range corpusDirs {
		msgs, err := Load(d)
		if err != nil {
			t.Fatalf("Load(%s): %v", d, err)
		}
		all = append(all, msgs...)
	}
	return all
}

// checkGoroutines fails t if, after the test, more goroutines run than at
// its start (with a bounded retry while they wind down).
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutine leak: %d running, %d at start\n%s", n, before, trimStacks(string(buf)))
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

func trimStacks(s string) string {
	if len(s) > 20000 {
		return s[:20000] + "\n..."
	}
	return strings.TrimSpace(s)
}
