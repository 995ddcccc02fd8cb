package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Stream is what the receiving phone measured of one audio stream of an
// answered call (sim/quality's Report, reduced to what the run summarises).
type Stream struct {
	Received    int64
	LossPercent float64
	Jitter      time.Duration
	// Delay is the mean one-way delay; DelayKnown false when the sender
	// was not a phone of the run (or nothing arrived).
	Delay      time.Duration
	DelayKnown bool
	MOS        float64
}

// Quality summarises the measured streams: two per answered call whose
// legs both are phones of the run.
type Quality struct {
	Streams int `json:"streams"`
	// Silent counts streams that received no packet at all.
	Silent int `json:"silent"`
	// MOS over the streams that received audio: the worst, the 5th
	// percentile (a low one: 95% of streams are at least this good) and
	// the median.
	MOSMin float64 `json:"mos_min"`
	MOSP5  float64 `json:"mos_p5"`
	MOSP50 float64 `json:"mos_p50"`
	// LossMean and LossMax are packet loss in percent.
	LossMean float64     `json:"loss_mean_percent"`
	LossMax  float64     `json:"loss_max_percent"`
	Jitter   Percentiles `json:"jitter"`
	// Delay is the one-way delay, over the streams where it is known.
	Delay Percentiles `json:"delay"`
}

// qualityAcc accumulates Streams (under the Collector's lock).
type qualityAcc struct {
	silent       int
	mos, loss    []float64
	jitter, dels []time.Duration
}

// Quality counts one measured stream.
func (c *Collector) Quality(s Stream) {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := &c.quality
	if s.Received == 0 {
		q.silent++
		return
	}
	c.hists.observeStream(s)
	c.streamSeries(s)
	q.mos = append(q.mos, s.MOS)
	q.loss = append(q.loss, s.LossPercent)
	q.jitter = append(q.jitter, s.Jitter)
	if s.DelayKnown {
		q.dels = append(q.dels, s.Delay)
	}
}

func (q *qualityAcc) report() Quality {
	r := Quality{Streams: len(q.mos) + q.silent, Silent: q.silent, Jitter: Compute(q.jitter), Delay: Compute(q.dels)}
	if len(q.mos) == 0 {
		return r
	}
	mos := slices.Clone(q.mos)
	slices.Sort(mos)
	r.MOSMin, r.MOSP5, r.MOSP50 = mos[0], percentileF(mos, 5), percentileF(mos, 50)
	for _, l := range q.loss {
		r.LossMean += l
		r.LossMax = max(r.LossMax, l)
	}
	r.LossMean /= float64(len(q.loss))
	return r
}

// percentileF is Percentile for floats (nearest rank).
func percentileF(sorted []float64, p float64) float64 {
	rank := int(p/100*float64(len(sorted)) + 0.9999999)
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// text is the summary line, "n/a" when nothing was measured.
func (q Quality) text() string {
	if q.Streams == 0 {
		return "n/a"
	}
	s := fmt.Sprintf("%d streams", q.Streams)
	if q.Silent > 0 {
		s += fmt.Sprintf(" (%d silent)", q.Silent)
	}
	if q.Streams > q.Silent {
		s += fmt.Sprintf("  MOS min %.2f p5 %.2f p50 %.2f  loss mean %.2f%% max %.2f%%  jitter p95 %s",
			q.MOSMin, q.MOSP5, q.MOSP50, q.LossMean, q.LossMax, round(q.Jitter.P95))
	}
	if q.Delay.Count > 0 {
		s += fmt.Sprintf("  one-way delay p50 %s p95 %s", round(q.Delay.P50), round(q.Delay.P95))
	}
	return s
}

// MarshalJSON rounds the figures.
func (q Quality) MarshalJSON() ([]byte, error) {
	type plain Quality
	r2 := func(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }
	p := plain(q)
	p.MOSMin, p.MOSP5, p.MOSP50, p.LossMean, p.LossMax = r2(q.MOSMin), r2(q.MOSP5), r2(q.MOSP50), r2(q.LossMean), r2(q.LossMax)
	return json.Marshal(p)
}
