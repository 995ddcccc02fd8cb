package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// shardReports collects outcomes dealt round-robin to n collectors, and
// the same outcomes into one. Shard i starts i+offset seconds after the
// whole run; the outcomes come every 50 ms from 3 s on (on one clock).
func shardReports(t *testing.T, n int, offset time.Duration) (*Report, []*Report) {
	t.Helper()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := &fakeNow{start}
	whole := NewCollector("s", "pbx:5060", start)
	whole.SetNow(clk.now)
	parts := make([]*Collector, n)
	for i := range parts {
		parts[i] = NewCollector("s", "pbx:5060", start.Add(time.Duration(i)*time.Second+offset))
		parts[i].SetNow(clk.now)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	codes := []int{200, 200, 200, 486, 487, 603, 0}
	for i := range 600 {
		clk.t = start.Add(3*time.Second + time.Duration(i)*50*time.Millisecond)
		o := CallOutcome{Code: codes[rng.IntN(len(codes))], Expected: rng.IntN(10) > 0}
		if o.Code == 200 {
			o.Setup = time.Duration(rng.IntN(2000)) * time.Millisecond
		}
		if o.Code != 0 {
			o.Ring = time.Duration(rng.IntN(50000)) * time.Microsecond
		}
		s := Stream{Received: int64(rng.IntN(3)) * 100, LossPercent: float64(rng.IntN(5)), Jitter: time.Duration(rng.IntN(30)) * time.Millisecond,
			Delay: time.Duration(rng.IntN(100)) * time.Millisecond, DelayKnown: rng.IntN(2) == 0, MOS: 3 + float64(rng.IntN(140))/100}
		for _, c := range []*Collector{whole, parts[i%n]} {
			c.CallStarted()
			c.Call(o)
			c.CallDone()
			if o.Code == 200 {
				c.MediaCall()
				c.Audio(i%7 != 0)
				c.Quality(s)
			}
			switch i % 50 {
			case 0:
				c.Registered()
				c.Bound(1)
			case 25:
				if i%100 == 25 && i > 300 { // a shard with phones registered
					c.Bound(-1)
				}
			case 1:
				c.RegisterFailed(403)
			case 2:
				c.CallSkipped()
			}
		}
	}
	var reps []*Report
	for i, c := range parts {
		r := c.Report(start.Add(time.Minute))
		r.Shard = fmt.Sprintf("%d/%d", i, n)
		reps = append(reps, r)
	}
	return whole.Report(start.Add(time.Minute)), reps
}

func TestMergeEqualsTheWhole(t *testing.T) {
	whole, parts := shardReports(t, 3, 0)
	// through JSON, as pbxlab sim merge reads them
	for i, r := range parts {
		var b bytes.Buffer
		if err := json.NewEncoder(&b).Encode(r); err != nil {
			t.Fatal(err)
		}
		d, err := Decode(&b)
		if err != nil {
			t.Fatal(err)
		}
		parts[i] = d
	}
	m, err := Merge(parts...)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Registrations, whole.Registrations) || !reflect.DeepEqual(m.Calls, whole.Calls) ||
		m.Audio != whole.Audio {
		t.Errorf("merged counters\n%+v %+v %+v\nwhole\n%+v %+v %+v", m.Registrations, m.Calls, m.Audio,
			whole.Registrations, whole.Calls, whole.Audio)
	}
	if !reflect.DeepEqual(m.Histograms, whole.Histograms) || !reflect.DeepEqual(m.SetupHistogram.Buckets(), whole.SetupHistogram.Buckets()) ||
		!slices.Equal(m.MOSCounts, whole.MOSCounts) {
		t.Errorf("merged histograms differ from the whole run's")
	}
	q, wq := m.Quality, whole.Quality
	if q.Streams != wq.Streams || q.Silent != wq.Silent || q.MOSMin != wq.MOSMin || q.LossMax != wq.LossMax ||
		q.Delay.Count != wq.Delay.Count || q.Jitter.Count != wq.Jitter.Count || q.Jitter.Max != wq.Jitter.Max ||
		diff(q.LossMean, wq.LossMean) > 1e-9 || diff(q.MOSP50, wq.MOSP50) > 0.011 || diff(q.MOSP5, wq.MOSP5) > 0.011 {
		t.Errorf("merged quality %+v\nwhole %+v", q, wq)
	}
	if m.SetupTime.Count != whole.SetupTime.Count || m.SetupTime.Max != whole.SetupTime.Max ||
		m.SetupTime.P99 < whole.SetupTime.P99 || m.SetupTime.P99 > whole.SetupTime.P99*17/16+time.Microsecond {
		t.Errorf("merged setup %+v, whole %+v", m.SetupTime, whole.SetupTime)
	}
	if want := []string{"0/3", "1/3", "2/3"}; !slices.Equal(m.Shards, want) {
		t.Errorf("shards %v, want %v", m.Shards, want)
	}
	if !m.Started.Equal(parts[0].Started) || m.Elapsed != time.Minute {
		t.Errorf("started %s elapsed %s", m.Started, m.Elapsed)
	}
	// the shards started whole seconds apart: their series add up to the
	// whole run's interval by interval; a peak of calls in progress is
	// the shards' peaks added (here one call at a time in each shard)
	ws, ms := whole.Series, m.Series
	if ms.Interval != ws.Interval || len(ms.Points) != len(ws.Points) || len(ws.Points) != 33 {
		t.Fatalf("merged series %s × %d, whole %s × %d", ms.Interval, len(ms.Points), ws.Interval, len(ws.Points))
	}
	for i, w := range ws.Points {
		p := ms.Points[i]
		if p.Concurrency < w.Concurrency || p.Concurrency > 3*w.Concurrency ||
			diff(p.MOSMean, w.MOSMean) > 0.0101 || diff(p.LossMean, w.LossMean) > 0.0101 {
			t.Errorf("point %d: merged %+v, whole %+v", i, p, w)
		}
		p.Concurrency, p.MOSMean, p.LossMean = w.Concurrency, w.MOSMean, w.LossMean
		if p != w {
			t.Errorf("point %d: merged %+v, whole %+v", i, ms.Points[i], w)
		}
	}
}

// seriesTotals sums a series' counts and finds its peaks.
func seriesTotals(s Series) (total Point) {
	for _, p := range s.Points {
		total.Started += p.Started
		total.Answered += p.Answered
		total.Failed += p.Failed
		total.Streams += p.Streams
		total.Concurrency = max(total.Concurrency, p.Concurrency)
		total.Registered = max(total.Registered, p.Registered)
	}
	return total
}

// TestMergeSeriesOffClock: shards started a fraction of a second apart
// keep every count (each point moves to the merged interval holding its
// midpoint: by less than half an interval); the registered gauges add.
func TestMergeSeriesOffClock(t *testing.T) {
	whole, parts := shardReports(t, 3, 400*time.Millisecond)
	m, err := Merge(parts...)
	if err != nil {
		t.Fatal(err)
	}
	var sum Point
	for _, r := range parts {
		p := seriesTotals(r.Series)
		sum.Started, sum.Answered, sum.Failed, sum.Streams = sum.Started+p.Started, sum.Answered+p.Answered, sum.Failed+p.Failed, sum.Streams+p.Streams
	}
	mt, wt := seriesTotals(m.Series), seriesTotals(whole.Series)
	if mt.Started != 600 || mt.Started != wt.Started || mt.Answered != wt.Answered || mt.Failed != wt.Failed ||
		mt.Streams != wt.Streams || mt.Registered != wt.Registered || mt.Started != sum.Started || mt.Streams != sum.Streams {
		t.Errorf("merged series totals %+v, whole %+v, shards' %+v", mt, wt, sum)
	}
	// shard i's point T (from 0.4+i s) has its midpoint at 0.9+i+T s
	for k, p := range m.Series.Points {
		want := 0
		for i, r := range parts {
			if j := k - i; j >= 0 && j < len(r.Series.Points) {
				want += r.Series.Points[j].Started
			}
		}
		if p.Started != want {
			t.Errorf("merged interval %d started %d, the shards' %d", k, p.Started, want)
		}
	}
}

// TestMergeSeriesGaugesAndCoarse: a shard's coarser series sets the
// merged interval; its finer neighbours' counts add into it, their peak
// is the peak of their points, their registered gauge is the interval's
// last and holds to the shard's end.
func TestMergeSeriesGaugesAndCoarse(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := &Report{Scenario: "s", Shard: "0/2", Started: start, Elapsed: 8 * time.Second, Histograms: &Histograms{},
		Series: Series{Interval: time.Second, Points: []Point{
			{T: 0, Registered: 2},
			{T: 1, Started: 3, Concurrency: 3, Registered: 2},
			{T: 2, Answered: 2, Failed: 1, Concurrency: 1, Registered: 3, Streams: 2, MOSMean: 4.0},
			{T: 3, Concurrency: 0, Registered: 3},
		}}}
	b := &Report{Scenario: "s", Shard: "1/2", Started: start, Elapsed: 4 * time.Second, Histograms: &Histograms{},
		Series: Series{Interval: 2 * time.Second, Points: []Point{
			{T: 0, Started: 1, Concurrency: 1, Registered: 1, Streams: 1, MOSMean: 4.3},
			{T: 1, Answered: 1, Registered: 0},
		}}}
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	want := []Point{
		{T: 0, Started: 4, Concurrency: 4, Registered: 3, Streams: 1, MOSMean: 4.3},
		{T: 1, Answered: 3, Failed: 1, Concurrency: 1, Registered: 3, Streams: 2, MOSMean: 4.0},
	}
	if m.Series.Interval != 2*time.Second || !slices.Equal(m.Series.Points, want) {
		t.Errorf("merged series %s %+v\nwant %+v", m.Series.Interval, m.Series.Points, want)
	}
	// a holds 3 registered phones to its end (8 s) past its last point
	// (3 s): nothing else happens there, so the series stops at 4 s
	if len(m.Series.Points) != 2 {
		t.Errorf("%d points", len(m.Series.Points))
	}
}

func diff(a, b float64) float64 {
	if a > b {
		return a - b
	}
	return b - a
}

func TestMergeRefuses(t *testing.T) {
	_, parts := shardReports(t, 2, 0)
	other := *parts[1]
	other.Seed++
	noHist := *parts[1]
	noHist.Histograms = nil
	for _, tc := range []struct {
		name string
		reps []*Report
	}{
		{"none", nil},
		{"nil", []*Report{parts[0], nil}},
		{"other seed", []*Report{parts[0], &other}},
		{"shard twice", []*Report{parts[0], parts[0]}},
		{"no histograms", []*Report{parts[0], &noHist}},
	} {
		if _, err := Merge(tc.reps...); !errors.Is(err, ErrMerge) {
			t.Errorf("%s: Merge = %v, want ErrMerge", tc.name, err)
		}
	}
}

// FuzzDecodeMerge: any bytes decode or fail, and whatever decodes merges
// or fails, without panicking.
func FuzzDecodeMerge(f *testing.F) {
	_, parts := shardReports(&testing.T{}, 2, 0)
	for _, r := range parts {
		b, _ := json.Marshal(r)
		f.Add(b)
	}
	f.Add([]byte(`{"scenario":"s","histograms":{"mos":{"count":2,"buckets":{"9223372036854775807":1,"-5":1}}}}`))
	f.Add([]byte(`{"histograms":{"mos":{"count":-1,"buckets":{"1":-3}}}}`))
	f.Add([]byte(`{"ceiling":{"ceiling_calls_per_s":4,"broken_at_calls_per_s":6,"broken":["failures == 0"],"confirmed":false,` +
		`"steps":[{"step":1,"offered_calls_per_s":2,"setup_p50_ms":1e300,"failures_by_code":{"480":1},"thresholds":[{"threshold":"x"}]}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		var rb bytes.Buffer
		_ = r.Text(&rb) // a decoded report, its ceiling included
		m, err := Merge(r, r)
		if err != nil {
			return
		}
		var b bytes.Buffer
		_ = m.Text(&b)
		_, _ = json.Marshal(m)
	})
}
