package report

import "time"

// maxMergedPoints bounds a merged series: past it the merged interval
// doubles (as a Collector's does past maxPoints), so that reports whose
// Started lie far apart cannot make Merge allocate without bound.
const maxMergedPoints = 4 * maxPoints

// seriesAcc is one merged interval being built.
type seriesAcc struct {
	p        Point
	mos      float64 // Σ MOSMean×Streams
	loss     float64 // Σ LossMean×Streams
	lastT    int     // the shard point that set Registered (per shard)
	touched  bool    // a point of the current shard landed here
	shardCon int     // the current shard's peak concurrency here
	shardReg int     // the current shard's registered gauge here
}

// mergeSeries lays the shards' series on one wall-clock axis from
// started (the earliest shard's start) and adds them, interval by
// interval. A shard's point covers [Started+T×iv, Started+(T+1)×iv) of
// its own clock; it goes to the merged interval that holds its midpoint,
// so a point moves by at most half an interval when the shards started a
// fraction of a second apart (none when they started whole intervals
// apart). The merged interval is the coarsest of the shards' (1 s unless a
// run outgrew an hour).
//
// Counts (Started, Answered, Failed, Streams) add: every shard's total is
// kept. Gauges add too, each shard's at the merged interval: Registered
// is the sum of the shards' registered phones at the interval's end (a
// shard counts 0 before its start and after its end: it was not running), and
// Concurrency the sum of the shards' peaks within the interval (a shard's
// series ends at its last event: its registered gauge holds from there to
// its end, its calls in progress are 0 as every call's end is an event): the
// run's peak when the shards' peaks coincide, an upper bound otherwise
// (a peak is not additive). MOSMean and LossMean are the means over the
// interval's streams, weighted by each shard's Streams (from the shards'
// rounded means: within 0.01). A series carries no per-interval
// percentile; one added later must come from per-interval histograms,
// never from the shards' percentiles.
func mergeSeries(started time.Time, reps []*Report) Series {
	iv := time.Second
	var end time.Time
	for _, r := range reps {
		iv = max(iv, r.Series.Interval)
		if n := len(r.Series.Points); n > 0 {
			if e := r.Started.Add(time.Duration(r.Series.Points[n-1].T+1) * max(r.Series.Interval, time.Second)); e.After(end) {
				end = e
			}
		}
	}
	if end.IsZero() {
		return Series{Interval: iv}
	}
	span := max(end.Sub(started), 0)
	for span/iv >= maxMergedPoints {
		iv *= 2
	}
	acc := make([]seriesAcc, int(span/iv)+2)
	used := 0
	for _, r := range reps {
		siv := max(r.Series.Interval, time.Second)
		for i := range acc {
			acc[i].touched = false
		}
		lastK, lastT, lastReg := -1, -1, 0
		for _, p := range r.Series.Points {
			mid := r.Started.Add(time.Duration(p.T)*siv + siv/2)
			k := int(max(mid.Sub(started), 0) / iv)
			if k < 0 || k >= len(acc) || p.T < 0 {
				continue // a corrupt point: outside the run
			}
			a := &acc[k]
			if !a.touched {
				a.touched, a.shardCon, a.shardReg, a.lastT = true, 0, 0, p.T
			}
			a.p.Started += p.Started
			a.p.Answered += p.Answered
			a.p.Failed += p.Failed
			a.p.Streams += p.Streams
			a.mos += p.MOSMean * float64(p.Streams)
			a.loss += p.LossMean * float64(p.Streams)
			a.shardCon = max(a.shardCon, p.Concurrency)
			if p.T >= a.lastT {
				a.lastT, a.shardReg = p.T, p.Registered
			}
			used = max(used, k+1)
			if p.T >= lastT {
				lastK, lastT, lastReg = k, p.T, p.Registered
			}
		}
		for i := range acc {
			if acc[i].touched {
				acc[i].p.Concurrency += acc[i].shardCon
				acc[i].p.Registered += acc[i].shardReg
			}
		}
		// the registered gauge holds from the shard's last event to its end
		if lastK >= 0 && lastReg > 0 {
			endK := min(int(max(r.Started.Add(r.Elapsed).Sub(started), 0)/iv), len(acc)-1)
			for k := lastK + 1; k <= endK; k++ {
				acc[k].p.Registered += lastReg
			}
		}
	}
	out := Series{Interval: iv, Points: make([]Point, used)}
	for i, a := range acc[:used] {
		p := a.p
		p.T = i
		if p.Streams > 0 {
			p.MOSMean = round2(a.mos / float64(p.Streams))
			p.LossMean = round2(a.loss / float64(p.Streams))
		}
		out.Points[i] = p
	}
	return out
}
