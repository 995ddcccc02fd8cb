package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// TestLockWriters: writes from many goroutines to a bytes.Buffer passed as
// both stdout and stderr all arrive whole (go test -race checks the
// locking); an *os.File is passed through for isTerminal.
func TestLockWriters(t *testing.T) {
	var buf bytes.Buffer
	out, errw := lockWriters(&buf, &buf)
	if out != errw {
		t.Fatal("one writer passed as both: want one lock for both")
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 100 {
				w := out
				if j%2 == 1 {
					w = errw
				}
				fmt.Fprintf(w, "g%d line %d\n", i, j)
			}
		})
	}
	wg.Wait()
	if n := strings.Count(buf.String(), "\n"); n != 800 {
		t.Errorf("%d lines, want 800", n)
	}
	if o, e := lockWriters(os.Stdout, os.Stderr); o != os.Stdout || e != os.Stderr {
		t.Error("*os.File writers were wrapped")
	}
}
