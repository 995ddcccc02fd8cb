package media

import (
	"testing"

	"pbxlab/internal/clock"
)

// BenchmarkPlayerFrame: one 20 ms frame of a player — read from a looping
// tone, G.711-encode, send on a real loopback socket. ns/op divided by
// 20 ms is one played stream's share of a core (the README figure).
func BenchmarkPlayerFrame(b *testing.B) {
	a, _, _ := udpRig(b)
	pc := NewPacer(clock.New())
	defer pc.Close()
	plan, err := TonePlanByName("us")
	if err != nil {
		b.Fatal(err)
	}
	src, _ := plan.Tone(ToneBusy)
	pl := &Player{p: pc, ep: a, src: src}
	b.ReportAllocs()
	for b.Loop() {
		if err := pl.step(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPlayerStepAllocs: playing a frame allocates nothing.
func TestPlayerStepAllocs(t *testing.T) {
	a, _, _ := udpRig(t)
	plan, err := TonePlanByName("cn")
	if err != nil {
		t.Fatal(err)
	}
	src, _ := plan.Tone(ToneDial)
	pl := &Player{p: NewPacer(clock.New()), ep: a, src: src}
	if n := testing.AllocsPerRun(200, func() { _ = pl.step() }); n != 0 {
		t.Fatalf("%v allocations per frame, want 0", n)
	}
}
