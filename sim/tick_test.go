package sim

import (
	"testing"
	"time"

	"pbxlab/internal/clock"
)

// TestCoalesce: a timer of the run ends on the next multiple of the tick
// (since the Unix epoch), never before its planned instant; tick 0 keeps
// the instant exact.
func TestCoalesce(t *testing.T) {
	epoch := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name    string
		now     time.Duration // after epoch (a multiple of every tick)
		tick, d time.Duration
		want    time.Duration
	}{
		{"exact", 0, 0, 1234 * time.Microsecond, 1234 * time.Microsecond},
		{"rounded up", 0, 5 * time.Millisecond, 1234 * time.Microsecond, 5 * time.Millisecond},
		{"on the grid already", 0, 5 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond},
		{"now off the grid", 3 * time.Millisecond, 5 * time.Millisecond, time.Millisecond, 2 * time.Millisecond},
		{"now off the grid, end on it", 3 * time.Millisecond, 5 * time.Millisecond, 2 * time.Millisecond, 2 * time.Millisecond},
		{"long hold", 7 * time.Millisecond, 5 * time.Millisecond, 90 * time.Second, 90*time.Second + 3*time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &runner{cfg: config{clock: clock.NewFake(epoch.Add(tc.now)), tick: tc.tick}}
			got := r.coalesce(tc.d)
			if got != tc.want {
				t.Errorf("coalesce(%s) at +%s, tick %s = %s, want %s", tc.d, tc.now, tc.tick, got, tc.want)
			}
		})
	}
}

// TestWithTimerTick: the default is DefaultTimerTick, 0 turns it off and a
// negative tick is ignored.
func TestWithTimerTick(t *testing.T) {
	for _, tc := range []struct {
		opts []Option
		want time.Duration
	}{
		{nil, DefaultTimerTick},
		{[]Option{WithTimerTick(0)}, 0},
		{[]Option{WithTimerTick(20 * time.Millisecond)}, 20 * time.Millisecond},
		{[]Option{WithTimerTick(-time.Millisecond)}, DefaultTimerTick},
	} {
		if got := newConfig(tc.opts).tick; got != tc.want {
			t.Errorf("tick %s, want %s", got, tc.want)
		}
	}
}
