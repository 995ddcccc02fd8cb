package main

import (
	"io"
	"os"
	"reflect"
	"sync"
)

// lockWriters makes stdout and stderr safe for concurrent writes: a run's
// goroutines (slog handlers, the progress line, sipgo's own log) write at
// once, and a caller (a test) may pass a bytes.Buffer, or one writer for
// both. An *os.File is left as it is: the kernel orders its writes, and
// isTerminal looks at it.
func lockWriters(stdout, stderr io.Writer) (io.Writer, io.Writer) {
	lo := lockWriter(stdout)
	if sameWriter(stdout, stderr) {
		return lo, lo
	}
	return lo, lockWriter(stderr)
}

func lockWriter(w io.Writer) io.Writer {
	if _, ok := w.(*os.File); ok || w == nil {
		return w
	}
	return &lockedWriter{w: w}
}

// sameWriter reports whether a and b are the same writer (without
// panicking on a writer whose type is not comparable).
func sameWriter(a, b io.Writer) bool {
	if a == nil || b == nil || reflect.TypeOf(a) != reflect.TypeOf(b) || !reflect.TypeOf(a).Comparable() {
		return false
	}
	return a == b
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
