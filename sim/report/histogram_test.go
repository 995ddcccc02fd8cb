package report

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestHistogramBucketsTileTheLine: every value falls in the bucket whose
// bounds hold it, the buckets follow each other without gap, and none is
// wider than 1/32 of its low bound.
func TestHistogramBucketsTileTheLine(t *testing.T) {
	prevHi := int64(-1)
	for i := 0; i < histIndex(1<<40); i++ {
		lo, hi := histBounds(i)
		if int64(lo) != prevHi+1 || hi < lo {
			t.Fatalf("bucket %d [%d, %d] after %d", i, lo, hi, prevHi)
		}
		if histIndex(lo) != i || histIndex(hi) != i {
			t.Fatalf("bucket %d [%d, %d]: indexes %d, %d", i, lo, hi, histIndex(lo), histIndex(hi))
		}
		if lo >= 64 && float64(hi-lo+1) > float64(lo)/32 {
			t.Fatalf("bucket %d [%d, %d] wider than 1/32", i, lo, hi)
		}
		prevHi = int64(hi)
	}
}

// TestHistogramQuantileWithinABucket: quantiles are within 3.1% above the
// exact nearest-rank percentiles, for several distributions.
func TestHistogramQuantileWithinABucket(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		draw func() time.Duration
	}{
		{"uniform ms", func() time.Duration { return time.Duration(rng.Int64N(int64(time.Second))) }},
		{"exponential", func() time.Duration { return time.Duration(rng.ExpFloat64() * float64(50*time.Millisecond)) }},
		{"tiny", func() time.Duration { return time.Duration(rng.Int64N(80)) * time.Microsecond }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h Histogram
			ds := make([]time.Duration, 5000)
			for i := range ds {
				ds[i] = tc.draw()
				h.Add(ds[i])
			}
			slices.Sort(ds)
			for _, q := range []float64{0.01, 0.5, 0.95, 0.99, 1} {
				exact := Percentile(ds, q*100).Truncate(time.Microsecond)
				got := h.Quantile(q)
				if got < exact || float64(got-exact) > float64(exact)/32+float64(time.Microsecond) {
					t.Errorf("q%.2f = %s, exact %s", q, got, exact)
				}
			}
			if h.Count() != len(ds) || h.Min() != ds[0] || h.Max() != ds[len(ds)-1] {
				t.Errorf("count %d min %s max %s", h.Count(), h.Min(), h.Max())
			}
		})
	}
}

// TestHistogramMergeIsAddingEverything: merging shards equals one
// histogram of all the values, also after a JSON round trip of the shards.
func TestHistogramMergeIsAddingEverything(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var all Histogram
	shards := make([]Histogram, 3)
	for i := range 3000 {
		d := time.Duration(rng.Int64N(int64(5 * time.Second)))
		all.Add(d)
		shards[i%3].Add(d)
	}
	var merged Histogram
	for _, s := range shards {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back Histogram
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		merged.Merge(&back)
	}
	a, _ := json.Marshal(all)
	m, _ := json.Marshal(merged)
	if string(a) != string(m) {
		t.Fatalf("merged\n%s\nall\n%s", m, a)
	}
	if merged.Mean() != all.Mean() || merged.Quantile(0.99) != all.Quantile(0.99) {
		t.Fatalf("mean %s, want %s", merged.Mean(), all.Mean())
	}
}

func TestHistogramRefusesAnotherLayout(t *testing.T) {
	for _, in := range []string{
		`{"unit":"ms","sub_bits":5,"count":0,"buckets":[]}`,
		`{"unit":"us","sub_bits":7,"count":0,"buckets":[]}`,
		`{"unit":"us","sub_bits":5,"count":2,"buckets":[[3,1]]}`,
		`{"unit":"us","sub_bits":5,"count":1,"buckets":[[99999999,1]]}`,
	} {
		var h Histogram
		if err := json.Unmarshal([]byte(in), &h); !errors.Is(err, ErrHistogramMismatch) {
			t.Errorf("%s: %v", in, err)
		}
	}
}

// FuzzHistogramJSON: decoding never panics, and what decodes re-encodes to
// something that decodes to the same histogram.
func FuzzHistogramJSON(f *testing.F) {
	var h Histogram
	h.Add(3 * time.Millisecond)
	h.Add(2 * time.Second)
	b, _ := json.Marshal(h)
	f.Add(b)
	f.Add([]byte(`{"unit":"us","sub_bits":5,"count":1,"min_ns":1000,"max_ns":1000,"buckets":[[1,1]]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var h Histogram
		if json.Unmarshal(in, &h) != nil {
			return
		}
		_ = h.Quantile(0.5)
		_ = h.Buckets()
		out, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		var back Histogram
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
	})
}
