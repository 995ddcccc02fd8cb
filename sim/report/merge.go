package report

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Histograms are a report's mergeable distributions besides its
// SetupHistogram: what its percentiles are computed from when reports are
// merged (Merge).
type Histograms struct {
	Ring   Histogram    `json:"ring"`
	Jitter Histogram    `json:"jitter"`
	Delay  Histogram    `json:"delay"`
	MOS    MergeMOSHist `json:"mos"`
	// Loss sums the loss percentages of the streams that received audio
	// (LossMean = Loss / MOS.Count).
	Loss float64 `json:"loss_sum_percent"`
}

func (h *Histograms) observeRing(d time.Duration) { h.Ring.Add(d) }

func (h *Histograms) observeStream(s Stream) {
	h.MOS.Observe(s.MOS)
	h.Jitter.Add(s.Jitter)
	h.Loss += s.LossPercent
	if s.DelayKnown {
		h.Delay.Add(s.Delay)
	}
}

func (h *Histograms) add(o *Histograms) {
	h.Ring.Merge(&o.Ring)
	h.Jitter.Merge(&o.Jitter)
	h.Delay.Merge(&o.Delay)
	h.MOS.Add(&o.MOS)
	h.Loss += o.Loss
}

// clone is a deep copy (the Collector keeps observing its own).
func (h *Histograms) clone() *Histograms {
	var c Histograms
	c.add(h)
	return &c
}

// histPercentiles summarises h (Max exact, percentiles within a bucket).
func histPercentiles(h *Histogram) Percentiles {
	if h.Count() == 0 {
		return Percentiles{}
	}
	return Percentiles{Count: h.Count(), P50: h.Quantile(0.50), P95: h.Quantile(0.95), P99: h.Quantile(0.99), Max: h.Max()}
}

// Decode reads a report written as JSON (pbxlab sim --json).
func Decode(r io.Reader) (*Report, error) {
	var w struct {
		Report
		ElapsedSeconds float64 `json:"elapsed_s"`
	}
	if err := json.NewDecoder(r).Decode(&w); err != nil {
		return nil, fmt.Errorf("decode report: %w", err)
	}
	rep := w.Report
	rep.Elapsed = time.Duration(w.ElapsedSeconds * float64(time.Second))
	return &rep, nil
}

// maxMergedFailedCalls bounds the sampled failed calls a merged report
// keeps (the shards' samples, in shard order).
const maxMergedFailedCalls = 20

// Merge combines the reports of the shards of one run (same scenario and
// seed) into the report of the whole run: counters add, percentiles come
// from the merged histograms (never averaged), minima and maxima combine,
// Started is the earliest start and Elapsed runs to the latest end. The
// shards' time series are laid on one wall-clock axis from Started and
// added interval by interval (mergeSeries says what adds and what cannot).
// Thresholds are not carried over (a shard's verdict is not the run's):
// check the merged report with CheckThresholds.
func Merge(reps ...*Report) (*Report, error) {
	if len(reps) == 0 {
		return nil, fmt.Errorf("merge: %w: no report", ErrMerge)
	}
	out := &Report{
		Scenario:      reps[0].Scenario,
		Seed:          reps[0].Seed,
		Started:       reps[0].Started,
		Registrations: Registrations{FailedByCode: map[int]int{}},
		Calls:         Calls{ByCode: map[int]int{}},
		Histograms:    &Histograms{},
	}
	var end time.Time
	targets := map[string]bool{}
	shards := map[string]bool{}
	for i, r := range reps {
		switch {
		case r == nil:
			return nil, fmt.Errorf("merge: %w: report %d is nil", ErrMerge, i)
		case r.Scenario != out.Scenario || r.Seed != out.Seed:
			return nil, fmt.Errorf("merge: %w: report %d is scenario %q seed %d, report 0 %q seed %d",
				ErrMerge, i, r.Scenario, r.Seed, out.Scenario, out.Seed)
		case r.Histograms == nil:
			return nil, fmt.Errorf("merge: %w: report %d (%s) has no histograms", ErrMerge, i, r.Scenario)
		}
		for _, sh := range append(slices.Clone(r.Shards), r.Shard) {
			if sh == "" {
				continue
			}
			if shards[sh] {
				return nil, fmt.Errorf("merge: %w: shard %s twice", ErrMerge, sh)
			}
			shards[sh] = true
		}
		if r.Started.Before(out.Started) {
			out.Started = r.Started
		}
		if e := r.Started.Add(r.Elapsed); e.After(end) {
			end = e
		}
		if r.Target != "" {
			targets[r.Target] = true
		}
		out.SetupHistogram.Merge(&r.SetupHistogram)
		if len(r.MOSCounts) > 0 {
			if out.MOSCounts == nil {
				out.MOSCounts = make([]int, len(r.MOSCounts))
			}
			if len(r.MOSCounts) != len(out.MOSCounts) {
				return nil, fmt.Errorf("merge: %w: report %d has %d MOS slots, not %d", ErrMerge, i, len(r.MOSCounts), len(out.MOSCounts))
			}
			for j, c := range r.MOSCounts {
				out.MOSCounts[j] += c
			}
		}
		if room := maxMergedFailedCalls - len(out.FailedCalls); room > 0 {
			out.FailedCalls = append(out.FailedCalls, r.FailedCalls[:min(room, len(r.FailedCalls))]...)
		}
		addRegistrations(&out.Registrations, r.Registrations)
		addCalls(&out.Calls, r.Calls)
		out.Audio.Checked += r.Audio.Checked
		out.Audio.Verified += r.Audio.Verified
		out.Quality.Streams += r.Quality.Streams
		out.Quality.Silent += r.Quality.Silent
		if r.Quality.Streams > r.Quality.Silent {
			out.Quality.LossMax = max(out.Quality.LossMax, r.Quality.LossMax)
		}
		for name, t := range r.Trunks {
			if out.Trunks == nil {
				out.Trunks = map[string]Trunk{}
			}
			o := out.Trunks[name]
			addTrunk(&o.Out, t.Out)
			addTrunk(&o.In, t.In)
			out.Trunks[name] = o
		}
		out.Histograms.add(r.Histograms)
		out.Journey = mergeJourney(out.Journey, r.Journey)
	}
	out.Elapsed = end.Sub(out.Started)
	out.Series = mergeSeries(out.Started, reps)
	out.Target = strings.Join(slices.Sorted(maps.Keys(targets)), ",")
	out.Shards = slices.Sorted(maps.Keys(shards))
	if out.Audio.Checked > 0 {
		out.Audio.VerifiedPercent = 100 * float64(out.Audio.Verified) / float64(out.Audio.Checked)
	}
	h := out.Histograms
	out.SetupTime, out.RingTime = histPercentiles(&out.SetupHistogram), histPercentiles(&h.Ring)
	out.Quality.Jitter, out.Quality.Delay = histPercentiles(&h.Jitter), histPercentiles(&h.Delay)
	if h.MOS.Count > 0 {
		out.Quality.MOSMin, out.Quality.MOSP5, out.Quality.MOSP50 = h.MOS.Min, h.MOS.Quantile(5), h.MOS.Quantile(50)
		out.Quality.LossMean = h.Loss / float64(h.MOS.Count)
	}
	return out, nil
}

func addRegistrations(to *Registrations, r Registrations) {
	to.OK += r.OK
	to.Failed += r.Failed
	to.Unregistered += r.Unregistered
	for code, n := range r.FailedByCode {
		to.FailedByCode[code] += n
	}
}

func addCalls(to *Calls, c Calls) {
	to.Attempted += c.Attempted
	to.Answered += c.Answered
	to.Failed += c.Failed
	to.Skipped += c.Skipped
	to.Unexpected += c.Unexpected
	to.Media += c.Media
	for code, n := range c.ByCode {
		to.ByCode[code] += n
	}
}

func addTrunk(to *TrunkCalls, t TrunkCalls) {
	to.Attempted += t.Attempted
	to.Answered += t.Answered
	to.Unexpected += t.Unexpected
}
