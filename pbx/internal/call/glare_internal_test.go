package call

import (
	"testing"
	"time"
)

// TestGlareDelay: RFC 3261 §14.1's windows, in 10 ms steps, and random.
func TestGlareDelay(t *testing.T) {
	for _, tc := range []struct {
		role   Role
		lo, hi time.Duration
	}{{UAC, 2100 * time.Millisecond, 4 * time.Second}, {UAS, 0, 2 * time.Second}} {
		seen := map[time.Duration]bool{}
		for range 300 {
			d := glareDelay(&Leg{role: tc.role})
			if d < tc.lo || d > tc.hi || d%(10*time.Millisecond) != 0 {
				t.Fatalf("%v: delay %s outside %s-%s in 10 ms steps", tc.role, d, tc.lo, tc.hi)
			}
			seen[d] = true
		}
		if len(seen) < 20 {
			t.Errorf("%v: only %d distinct delays in 300 draws: not random", tc.role, len(seen))
		}
	}
}
