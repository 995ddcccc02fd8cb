package sim

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"pbxlab/sim/scenario"
)

// TestRunCallsRemoteNumbers: a population that calls numbers outside it
// (calls.remote: phones of another PBX, run by another simulator). Here
// both populations register with one forwarding proxy; "west" only
// answers (rate 0), "east" calls west's numbers, every call is expected to
// be answered and east hears the dialled number's identity on each.
func TestRunCallsRemoteNumbers(t *testing.T) {
	checkLeaks(t)
	pbx := newFakePBX(t)
	west, err := scenario.Parse("west.yaml", []byte(`name: west
population: {count: 2, first: "2000", password: "pw{n}", register_expires: 60s}
behaviours: {answer: 100}
calls: {rate: 0, duration: 5s}
`))
	if err != nil {
		t.Fatal(err)
	}
	east, err := scenario.Parse("east.yaml", []byte(`name: east
population: {count: 1, first: "1000", password: "pw{n}", register_expires: 60s}
behaviours: {answer: 100}
calls: {rate: 2, hold: 1s, duration: 1s, max_concurrent: 4, ring_timeout: 2s, remote: {first: "2000", count: 2}}
audio: {verify: true}
seed: 7
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	local := WithLocalIP(netip.MustParseAddr("127.0.0.1"))
	var wg sync.WaitGroup
	var westErr error
	wg.Go(func() { _, westErr = Run(ctx, west, Target{Addr: pbx.addr}, local) })
	// east calls once west's phones are registered
	for pbx.bindings() < 2 {
		if ctx.Err() != nil {
			t.Fatal("west never registered")
		}
		time.Sleep(20 * time.Millisecond)
	}
	rep, err := Run(ctx, east, Target{Addr: pbx.addr}, local)
	wg.Wait()
	if err != nil || westErr != nil {
		t.Fatalf("east: %v, west: %v", err, westErr)
	}
	c := rep.Calls
	if c.Attempted != 2 || c.Answered != 2 || c.Unexpected != 0 {
		t.Errorf("calls %+v: want 2 attempted, answered, as expected", c)
	}
	if rep.Audio.Checked != 2 || rep.Audio.Verified != 2 {
		t.Errorf("audio %+v: east hears the dialled number's identity on both calls", rep.Audio)
	}
}
