// Package clock is the injectable time source for every timer in pbx/ and sim/:
// registration expiry, no-answer, grace periods, 2xx retransmission and, later,
// forwarding, hunting and alarms. Production code takes a Clock; tests pass a
// *Fake and drive it with Advance.
package clock

import "time"

// Clock is the subset of package time that pbxlab's timers use.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has elapsed.
	AfterFunc(d time.Duration, f func()) Timer
	// After returns a channel that receives the time once d has elapsed.
	After(d time.Duration) <-chan time.Time
}

// Timer is a timer started by AfterFunc.
type Timer interface {
	// Stop prevents the timer from firing; it reports whether it was still pending.
	Stop() bool
	// Reset re-arms the timer; it reports whether it was still pending.
	Reset(d time.Duration) bool
}

// Real is the wall clock.
type Real struct{}

// New returns the wall clock.
func New() Clock { return Real{} }

func (Real) Now() time.Time                            { return time.Now() }
func (Real) After(d time.Duration) <-chan time.Time    { return time.After(d) }
func (Real) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
