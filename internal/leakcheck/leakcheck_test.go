package leakcheck

import (
	"fmt"
	"testing"
)

type recorder struct {
	cleanups []func()
	errs     []string
}

func (r *recorder) Helper()          {}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Errorf(format string, a ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, a...))
}
func (r *recorder) run() {
	for _, f := range r.cleanups {
		f()
	}
}

func TestCheckPassesWhenGoroutinesEnd(t *testing.T) {
	r := &recorder{}
	Check(r)
	done := make(chan struct{})
	go func() { <-done }()
	close(done)
	r.run()
	if len(r.errs) != 0 {
		t.Fatalf("errors: %v", r.errs)
	}
}

func TestCheckReportsALeak(t *testing.T) {
	if testing.Short() {
		t.Skip("waits the full 10 s deadline")
	}
	r := &recorder{}
	Check(r)
	stop := make(chan struct{})
	for range 50 { // far more than any runtime goroutine that may end meanwhile
		go func() { <-stop }()
	}
	r.run()
	close(stop)
	if len(r.errs) != 1 {
		t.Fatalf("leak not reported: %v", r.errs)
	}
}
