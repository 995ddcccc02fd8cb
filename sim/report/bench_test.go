package report

import (
	"testing"
	"time"
)

// BenchmarkCollectorCall is the collector's cost per call: started, its
// outcome, done (the time series and the setup histogram included).
func BenchmarkCollectorCall(b *testing.B) {
	start := time.Unix(0, 0)
	now := start
	c := NewCollector("bench", "", start)
	c.SetNow(func() time.Time { return now })
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now = now.Add(time.Millisecond)
		c.CallStarted()
		c.Call(CallOutcome{Code: 200, Setup: time.Duration(i%1000) * time.Millisecond, Expected: true})
		c.CallDone()
	}
}

func BenchmarkHistogramAdd(b *testing.B) {
	var h Histogram
	for i := 0; b.Loop(); i++ {
		h.Add(time.Duration(i%100000) * time.Microsecond)
	}
}
