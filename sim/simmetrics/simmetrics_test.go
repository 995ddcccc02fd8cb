package simmetrics

import (
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"pbxlab/sim/report"
)

func gather(t *testing.T, l *report.Live) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := NewRegistry(l, "s").Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// TestMetricsFromTheCollector: nothing before the run starts; then the
// counters, gauges and the setup histogram's cumulative buckets.
func TestMetricsFromTheCollector(t *testing.T) {
	var live report.Live
	if m := gather(t, &live); len(m) != 0 {
		t.Fatalf("metrics before the run: %v", m)
	}
	start := time.Unix(0, 0)
	c := report.NewCollector("s", "", start)
	c.SetNow(func() time.Time { return start.Add(time.Second) })
	live.Attach(c)
	c.Bound(1)
	c.Registered()
	for _, setup := range []time.Duration{3 * time.Millisecond, 40 * time.Millisecond, 2 * time.Second} {
		c.CallStarted()
		c.Call(report.CallOutcome{Code: 200, Setup: setup, Expected: true})
		c.CallDone()
	}
	c.CallStarted()
	c.Call(report.CallOutcome{Code: 486})
	m := gather(t, &live)
	value := func(name string) float64 {
		mf := m[name]
		if mf == nil || len(mf.Metric) == 0 {
			t.Fatalf("no %s", name)
		}
		mt := mf.Metric[0]
		if mt.GetLabel()[len(mt.GetLabel())-1].GetValue() != "s" {
			t.Errorf("%s labels %v", name, mt.GetLabel())
		}
		if mt.Counter != nil {
			return mt.Counter.GetValue()
		}
		return mt.Gauge.GetValue()
	}
	for name, want := range map[string]float64{
		"pbxlab_sim_calls_started_total":        4,
		"pbxlab_sim_calls_answered_total":       3,
		"pbxlab_sim_calls_failed_total":         1,
		"pbxlab_sim_calls_in_progress":          1,
		"pbxlab_sim_phones_registered":          1,
		"pbxlab_sim_registrations_ok_total":     1,
		"pbxlab_sim_calls_unexpected_total":     1,
		"pbxlab_sim_registrations_failed_total": 0,
	} {
		if got := value(name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if n := len(m["pbxlab_sim_calls_by_status_total"].Metric); n != 2 {
		t.Errorf("%d status series, want 200 and 486", n)
	}
	h := m["pbxlab_sim_setup_seconds"].Metric[0].Histogram
	if h.GetSampleCount() != 3 {
		t.Fatalf("histogram %v", h)
	}
	want := map[float64]uint64{0.005: 1, 0.01: 1, 0.025: 1, 0.05: 2, 1: 2, 2: 2, 5: 3, 30: 3}
	for _, b := range h.Bucket {
		if w, ok := want[b.GetUpperBound()]; ok && b.GetCumulativeCount() != w {
			t.Errorf("le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), w)
		}
	}
}
