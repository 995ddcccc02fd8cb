package report

import (
	"maps"
	"slices"
)

// MergeMOSHist is a mergeable histogram of MOS values (1..5): linear
// buckets of 0.01, sparse, with the exact count and minimum.
type MergeMOSHist struct {
	Count   int64           `json:"count"`
	Min     float64         `json:"min"`
	Buckets map[int64]int64 `json:"buckets"` // hundredths → count
}

// Observe counts m.
func (h *MergeMOSHist) Observe(m float64) {
	if h.Buckets == nil {
		h.Buckets = map[int64]int64{}
	}
	if h.Count == 0 || m < h.Min {
		h.Min = m
	}
	h.Count++
	h.Buckets[int64(max(m, 0)*100)]++
}

// Add merges o into h.
func (h *MergeMOSHist) Add(o *MergeMOSHist) {
	if o == nil || o.Count == 0 {
		return
	}
	if h.Buckets == nil {
		h.Buckets = map[int64]int64{}
	}
	if h.Count == 0 || o.Min < h.Min {
		h.Min = o.Min
	}
	h.Count += o.Count
	for i, c := range o.Buckets {
		h.Buckets[i] += c
	}
}

// Quantile is the p-th percentile (nearest rank), the lower bound of its
// bucket (a MOS percentile is read as "at least"), not below Min.
func (h *MergeMOSHist) Quantile(p float64) float64 {
	if h == nil || h.Count == 0 {
		return 0
	}
	rank := int64(p/100*float64(h.Count) + 0.9999999)
	rank = min(max(rank, 1), h.Count)
	var seen int64
	last := h.Min
	for _, i := range slices.Sorted(maps.Keys(h.Buckets)) {
		last = float64(i) / 100
		if seen += h.Buckets[i]; seen >= rank {
			return max(last, h.Min)
		}
	}
	return last
}
