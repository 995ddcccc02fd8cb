package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"time"
)

// ErrHistogramMismatch means two histograms with different bucket layouts
// were merged, or a histogram's JSON does not describe a valid layout.
var ErrHistogramMismatch = errors.New("histogram layout mismatch")

// histSubBits is the log2 of the linear sub-buckets per power of two: 32
// sub-buckets, so a bucket is at most 1/32 (3.1%) of its values wide.
const histSubBits = 5

// histUnit is the resolution of Histogram: a microsecond.
const histUnit = time.Microsecond

// Histogram counts durations in fixed log-linear buckets (HDR-like): exact
// below 64 µs, then 32 linear buckets per power of two, so every value is
// known to within 3.1%. The layout does not depend on the data, so the
// histograms of several runs (shards of one load) merge exactly by adding
// counts (Merge). The zero value is an empty histogram.
type Histogram struct {
	counts   []uint64
	n        uint64
	sum      time.Duration
	min, max time.Duration
}

// histIndex is the bucket of v (in units).
func histIndex(v uint64) int {
	const sub = 1 << histSubBits
	if v < 2*sub {
		return int(v)
	}
	e := bits.Len64(v) - histSubBits - 1
	return e*sub + int(v>>uint(e))
}

// histBounds is the range [lo, hi] of values (in units) of bucket i.
func histBounds(i int) (lo, hi uint64) {
	const sub = 1 << histSubBits
	if i < 2*sub {
		return uint64(i), uint64(i)
	}
	e := i/sub - 1
	m := uint64(i - e*sub)
	return m << uint(e), (m+1)<<uint(e) - 1
}

// Add counts one duration (negative durations count as 0).
func (h *Histogram) Add(d time.Duration) {
	d = max(d, 0)
	i := histIndex(uint64(d / histUnit))
	if i >= len(h.counts) {
		h.counts = append(h.counts, make([]uint64, i+1-len(h.counts))...)
	}
	h.counts[i]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	h.max = max(h.max, d)
	h.n++
	h.sum += d
}

// Count is the number of durations added.
func (h *Histogram) Count() int { return int(h.n) }

// Mean is the exact mean of the durations added (0 when empty).
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// Min and Max are the exact extremes (0 when empty).
func (h *Histogram) Min() time.Duration { return h.min }

// Max is the largest duration added.
func (h *Histogram) Max() time.Duration { return h.max }

// Quantile returns the q-quantile (0 ≤ q ≤ 1) by the nearest-rank method:
// the upper bound of the bucket holding that rank, clamped to the exact
// min and max, so within 3.1% above the true value. 0 when empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.9999999)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			_, hi := histBounds(i)
			return min(max(time.Duration(hi)*histUnit, h.min), h.max)
		}
	}
	return h.max
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.n == 0 {
		return
	}
	if len(o.counts) > len(h.counts) {
		h.counts = append(h.counts, make([]uint64, len(o.counts)-len(h.counts))...)
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// Bucket is one non-empty bucket: durations in [Low, High] (Count of them).
type Bucket struct {
	Low, High time.Duration
	Count     int
}

// Buckets lists the non-empty buckets in order.
func (h *Histogram) Buckets() []Bucket {
	var out []Bucket
	for i, c := range h.counts {
		if c == 0 {
			continue
		}
		lo, hi := histBounds(i)
		out = append(out, Bucket{Low: time.Duration(lo) * histUnit, High: time.Duration(hi) * histUnit, Count: int(c)})
	}
	return out
}

// histJSON is Histogram's encoding: the layout (unit of the buckets,
// sub_bits) so a reader can refuse another one, the exact aggregates in
// nanoseconds, and the non-empty buckets as [index, count] pairs.
type histJSON struct {
	Unit    string      `json:"unit"`
	SubBits int         `json:"sub_bits"`
	Count   uint64      `json:"count"`
	SumNS   int64       `json:"sum_ns"`
	MinNS   int64       `json:"min_ns"`
	MaxNS   int64       `json:"max_ns"`
	Buckets [][2]uint64 `json:"buckets"`
}

// MarshalJSON encodes the layout and the non-empty buckets.
func (h Histogram) MarshalJSON() ([]byte, error) {
	j := histJSON{Unit: "us", SubBits: histSubBits, Count: h.n, SumNS: int64(h.sum),
		MinNS: int64(h.min), MaxNS: int64(h.max), Buckets: [][2]uint64{}}
	for i, c := range h.counts {
		if c > 0 {
			j.Buckets = append(j.Buckets, [2]uint64{uint64(i), c})
		}
	}
	return json.Marshal(j)
}

// maxHistIndex bounds the bucket index a decoded histogram may use
// (values up to 2^62 units).
var maxHistIndex = histIndex(1 << 62)

// UnmarshalJSON decodes MarshalJSON's output, refusing another layout,
// out-of-range buckets and counts that do not add up.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var j histJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.Unit != "us" || j.SubBits != histSubBits {
		return fmt.Errorf("decode histogram: %w: unit %q sub_bits %d, want us and %d", ErrHistogramMismatch, j.Unit, j.SubBits, histSubBits)
	}
	out := Histogram{sum: time.Duration(j.SumNS), min: time.Duration(j.MinNS), max: time.Duration(j.MaxNS)}
	for _, bc := range j.Buckets {
		if bc[0] > uint64(maxHistIndex) {
			return fmt.Errorf("decode histogram: %w: bucket %d", ErrHistogramMismatch, bc[0])
		}
		i := int(bc[0])
		if i >= len(out.counts) {
			out.counts = append(out.counts, make([]uint64, i+1-len(out.counts))...)
		}
		out.counts[i] += bc[1]
		out.n += bc[1]
	}
	if out.n != j.Count || j.MinNS < 0 || j.MaxNS < j.MinNS {
		return fmt.Errorf("decode histogram: %w: count %d, buckets hold %d", ErrHistogramMismatch, j.Count, out.n)
	}
	*h = out
	return nil
}
