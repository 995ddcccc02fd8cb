package sim

import (
	"context"
	"errors"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"pbxlab/sim/phone"
	"pbxlab/sim/report"
	"pbxlab/sim/scenario"
)

// shardScenario leaves margins for loaded cores: an answer 100 ms after
// the ring within a 2 s ring timeout, 3 s of hold for the audio check (a
// 500 ms ring timeout and a 1 s hold failed under load).
const shardScenario = `name: shard-test
population: {count: 9, first: "100", password: "pw{n}", register_expires: 60s}
behaviours: {answer: 50, busy: 17, no_answer: 17, reject: 16}
answer_delay: 100ms
calls: {rate: 5, hold: 3s, duration: 2s, max_concurrent: 100, ring_timeout: 2s}
audio: {verify: true}
seed: 3
`

// TestShardedRunMergesToTheWhole: three shards of a scenario (one Run
// each, against one forwarding proxy, calls starting once all three have
// registered) merge into the report of the unsharded run with the same
// seed: the same calls placed, the same outcomes by status, the same audio
// checks; the merged histograms are the shards' added.
func TestShardedRunMergesToTheWhole(t *testing.T) {
	checkLeaks(t)
	sc, err := scenario.Parse("shard.yaml", []byte(shardScenario))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	local := WithLocalIP(netip.MustParseAddr("127.0.0.1"))

	whole, err := Run(ctx, sc, Target{Addr: newFakePBX(t).addr}, local)
	if err != nil {
		t.Fatalf("unsharded run: %v", err)
	}

	const n = 3
	pbx := newFakePBX(t)
	var registered sync.WaitGroup
	registered.Add(n)
	barrier := func(c *config) {
		c.afterRegister = func(context.Context, []*phone.Phone) {
			registered.Done()
			registered.Wait()
		}
	}
	reps := make([]*report.Report, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { reps[i], errs[i] = Run(ctx, sc, Target{Addr: pbx.addr}, local, WithShard(i, n), barrier) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("shards: %v", err)
	}
	merged, err := report.Merge(reps...)
	if err != nil {
		t.Fatal(err)
	}

	var text strings.Builder
	_ = merged.Text(&text)
	t.Logf("merged:\n%s", text.String())
	if whole.Calls.Attempted == 0 || whole.Calls.Answered == 0 {
		t.Fatalf("unsharded run placed %+v: nothing to compare", whole.Calls)
	}
	wc, mc := whole.Calls, merged.Calls
	if mc.Attempted != wc.Attempted || mc.Answered != wc.Answered || mc.Failed != wc.Failed ||
		mc.Media != wc.Media || mc.Skipped != 0 || wc.Skipped != 0 || mc.Unexpected != 0 || wc.Unexpected != 0 ||
		!maps.Equal(mc.ByCode, wc.ByCode) {
		t.Errorf("merged calls %+v\nunsharded %+v", mc, wc)
	}
	for _, r := range []*report.Report{whole, merged} {
		if r.Registrations.OK != 9 || r.Registrations.Failed != 0 || r.Registrations.Unregistered != 9 {
			t.Errorf("registrations %+v, want 9 ok and unregistered", r.Registrations)
		}
		if r.Audio.Checked != r.Calls.Answered || r.Audio.Verified != r.Audio.Checked {
			t.Errorf("audio %+v for %d answered calls", r.Audio, r.Calls.Answered)
		}
		if r.SetupTime.Count != r.Calls.Answered || r.SetupHistogram.Count() != r.Calls.Answered {
			t.Errorf("setup time %+v, histogram count %d, for %d answered", r.SetupTime, r.SetupHistogram.Count(), r.Calls.Answered)
		}
	}
	if merged.Histograms.Ring.Count() != whole.Histograms.Ring.Count() {
		t.Errorf("ring histogram count %d merged, %d unsharded", merged.Histograms.Ring.Count(), whole.Histograms.Ring.Count())
	}
	// both legs of every answered call measured, by the caller's shard and
	// the callee's; a leg from another process has no known delay
	if q, wq := merged.Quality, whole.Quality; q.Streams != wq.Streams || q.Silent != 0 || q.Delay.Count >= wq.Delay.Count {
		t.Errorf("merged quality %+v\nunsharded %+v", q, wq)
	}
	// bucket counts add
	var sum report.Histogram
	for _, r := range reps {
		sum.Merge(&r.SetupHistogram)
		if pbxShard := r.Shard; pbxShard == "" {
			t.Errorf("shard report without its shard")
		}
	}
	if !slices.Equal(sum.Buckets(), merged.SetupHistogram.Buckets()) {
		t.Errorf("merged setup buckets %v, shards' sum %v", merged.SetupHistogram.Buckets(), sum.Buckets())
	}
	if pbx.bindings() != 0 {
		t.Errorf("%d bindings left", pbx.bindings())
	}
	checkMergedSeries(t, whole, merged, reps)
}

// checkMergedSeries: the merged time series counts every call the
// unsharded run's series counts (calls started, answered, failed, streams
// measured: exact totals; their seconds may differ, the runs being
// separate) and every shard's (each count of a shard lands in one merged
// interval); the registered phones add up to the population.
func checkMergedSeries(t *testing.T, whole, merged *report.Report, shards []*report.Report) {
	t.Helper()
	totals := func(s report.Series) (p report.Point) {
		for _, q := range s.Points {
			p.Started += q.Started
			p.Answered += q.Answered
			p.Failed += q.Failed
			p.Streams += q.Streams
			p.Registered = max(p.Registered, q.Registered)
		}
		return p
	}
	var sum report.Point
	for _, r := range shards {
		p := totals(r.Series)
		sum.Started, sum.Answered, sum.Failed, sum.Streams = sum.Started+p.Started, sum.Answered+p.Answered, sum.Failed+p.Failed, sum.Streams+p.Streams
	}
	w, m := totals(whole.Series), totals(merged.Series)
	if m.Started != whole.Calls.Attempted || m.Started != w.Started || m.Answered != w.Answered || m.Failed != w.Failed ||
		m.Streams != w.Streams || m.Started != sum.Started || m.Answered != sum.Answered || m.Failed != sum.Failed || m.Streams != sum.Streams {
		t.Errorf("merged series totals %+v\nunsharded %+v\nshards' %+v", m, w, sum)
	}
	if w.Registered != 9 || m.Registered != 9 {
		t.Errorf("peak registered: merged %d, unsharded %d, want 9", m.Registered, w.Registered)
	}
	if merged.Series.Interval != time.Second || len(merged.Series.Points) == 0 {
		t.Errorf("merged series %s × %d", merged.Series.Interval, len(merged.Series.Points))
	}
}

func TestShardRejectsCarriersAndBadShards(t *testing.T) {
	sc, err := scenario.Parse("shard.yaml", []byte(shardScenario))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		i, n int
		want error
	}{{3, 3, scenario.ErrInvalid}, {-1, 2, scenario.ErrInvalid}} {
		if _, err := Run(context.Background(), sc, Target{Addr: "127.0.0.1:5060"}, WithShard(tc.i, tc.n)); !errors.Is(err, tc.want) {
			t.Errorf("shard %d/%d: %v, want %v", tc.i, tc.n, err, tc.want)
		}
	}
	withCarrier := *sc
	withCarrier.Carriers = []scenario.Carrier{{Name: "c"}}
	if _, err := Run(context.Background(), &withCarrier, Target{Addr: "127.0.0.1:5060"}, WithShard(0, 2)); !errors.Is(err, ErrShardCarriers) {
		t.Errorf("sharded scenario with carriers: %v, want ErrShardCarriers", err)
	}
}
