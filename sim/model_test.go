package sim

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"pbxlab/sim/scenario"
)

const shareScenario = `name: share-test
population: {count: 8, first: "100", password: "pw{n}", register_expires: 60s}
behaviours: {answer: 75, busy: 25}
answer_delay: 50ms
calls: {rate: 5, duration: 2s, max_concurrent: 50, ring_timeout: 1s, arrivals: poisson,
        hold_dist: {kind: exponential, mean: 700ms, max: 1500ms}}
audio: {verify: true, share: 0.5}
seed: 5
thresholds: ["failures == 0", "audio_ok >= 100%", "answer_ratio > 0.5", "setup_p99 < 5s"]
`

// TestRunFollowsThePlan: a run places exactly its plan's calls, with
// media (two-way audio checked, quality measured on both legs) only on
// the plan's media calls, the others signalling-only; the report carries
// the seed and the checked thresholds.
func TestRunFollowsThePlan(t *testing.T) {
	checkLeaks(t)
	pbx := newFakePBX(t)
	sc, err := scenario.Parse("share.yaml", []byte(shareScenario))
	if err != nil {
		t.Fatal(err)
	}
	plan := scenario.NewPlan(sc, sc.Seed)
	calls := plan.Take(1000)
	wantAnswered, wantMedia := 0, 0
	for _, c := range calls {
		if plan.Phones[c.Callee].Behaviour == scenario.CalleeAnswer {
			wantAnswered++
			if c.Media {
				wantMedia++
			}
		}
	}
	if wantMedia == 0 || wantMedia == wantAnswered {
		t.Fatalf("plan of seed 5 has %d answered media calls of %d: want some of each", wantMedia, wantAnswered)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := Run(ctx, sc, Target{Addr: pbx.addr}, WithLocalIP(netip.MustParseAddr("127.0.0.1")))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	c := rep.Calls
	if c.Attempted != len(calls) || c.Skipped != 0 || c.Answered != wantAnswered || c.Unexpected != 0 {
		t.Errorf("calls %+v, want the plan's %d, %d answered", c, len(calls), wantAnswered)
	}
	planned := 0
	for _, pc := range calls {
		if pc.Media {
			planned++
		}
	}
	if c.Media != planned {
		t.Errorf("%d media calls reported, the plan has %d", c.Media, planned)
	}
	if rep.Audio.Checked != wantMedia || rep.Audio.Verified != wantMedia {
		t.Errorf("audio %+v, want %d checks: the answered media calls only", rep.Audio, wantMedia)
	}
	if rep.Quality.Streams != 2*wantMedia || rep.Quality.Silent != 0 {
		t.Errorf("quality %d streams (%d silent), want 2 per answered media call (%d)", rep.Quality.Streams, rep.Quality.Silent, 2*wantMedia)
	}
	if rep.Seed != 5 || len(rep.Thresholds) != 4 || !rep.ThresholdsPassed() {
		t.Errorf("seed %d, thresholds %+v", rep.Seed, rep.Thresholds)
	}
}
