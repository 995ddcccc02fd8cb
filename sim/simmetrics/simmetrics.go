// Package simmetrics exposes a simulator run's live state (report.Live) as
// Prometheus metrics: counters of registrations and calls (calls by final
// status), gauges of calls in progress and phones registered, and the
// setup-time histogram. It builds a registry per run (never the global
// default one); the metrics are read from the run's collector at each
// scrape, so the run pays nothing between scrapes.
package simmetrics

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"pbxlab/sim/report"
)

// SetupBuckets are the upper bounds, in seconds, of the setup-time
// histogram's exported buckets.
var setupBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30}

// NewRegistry returns a registry holding the metrics of the run l watches
// (none before the run starts).
func NewRegistry(l *report.Live, scenario string) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(&collector{live: l, labels: prometheus.Labels{"scenario": scenario}})
	return reg
}

// Handler serves reg's metrics (the /metrics endpoint).
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

type collector struct {
	live   *report.Live
	labels prometheus.Labels
}

func (c *collector) desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("pbxlab_sim_"+name, help, labels, c.labels)
}

// Describe sends nothing: the collector is unchecked (its series, the
// status codes, are not known in advance).
func (c *collector) Describe(chan<- *prometheus.Desc) {}

// Collect reads the run's report and snapshot.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s, ok := c.live.Snapshot()
	if !ok {
		return
	}
	r := c.live.Report()
	counter := func(name, help string, v int) {
		ch <- prometheus.MustNewConstMetric(c.desc(name, help), prometheus.CounterValue, float64(v))
	}
	gauge := func(name, help string, v float64) {
		ch <- prometheus.MustNewConstMetric(c.desc(name, help), prometheus.GaugeValue, v)
	}
	counter("registrations_ok_total", "REGISTERs answered 2xx (refreshes included).", r.Registrations.OK)
	counter("registrations_failed_total", "REGISTERs that failed.", r.Registrations.Failed)
	counter("calls_started_total", "Call attempts placed.", s.Started)
	counter("calls_answered_total", "Call attempts answered (2xx).", r.Calls.Answered)
	counter("calls_failed_total", "Call attempts ended without a 2xx.", r.Calls.Failed)
	counter("calls_unexpected_total", "Call attempts whose outcome was not what the callee was told to do.", r.Calls.Unexpected)
	counter("calls_skipped_total", "Calls not placed because max_concurrent was reached.", r.Calls.Skipped)
	counter("audio_checked_total", "Two-way audio checks.", r.Audio.Checked)
	counter("audio_verified_total", "Two-way audio checks that passed.", r.Audio.Verified)
	byCode := c.desc("calls_by_status_total", "Call attempts by final SIP status (0: none).", "code")
	for code, n := range r.Calls.ByCode {
		ch <- prometheus.MustNewConstMetric(byCode, prometheus.CounterValue, float64(n), strconv.Itoa(code))
	}
	gauge("calls_in_progress", "Calls in progress.", float64(s.InProgress))
	gauge("phones_registered", "Phones registered now.", float64(s.Registered))
	gauge("call_rate", "Calls started per second over the last 5 s.", s.Rate)
	gauge("elapsed_seconds", "Time since the run started.", s.Elapsed.Seconds())
	if q := r.Quality; q.Streams > q.Silent {
		gauge("mos_min", "Lowest MOS of the measured streams.", q.MOSMin)
		gauge("mos_median", "Median MOS of the measured streams.", q.MOSP50)
		gauge("loss_mean_percent", "Mean packet loss of the measured streams.", q.LossMean)
		gauge("jitter_p95_seconds", "95th percentile of the streams' jitter.", q.Jitter.P95.Seconds())
	}
	h := &r.SetupHistogram
	buckets := make(map[float64]uint64, len(setupBuckets))
	for _, ub := range setupBuckets {
		buckets[ub] = 0
	}
	for _, b := range h.Buckets() {
		for _, ub := range setupBuckets {
			// a bucket counts under every bound it lies wholly below
			if b.High.Seconds() <= ub {
				buckets[ub] += uint64(b.Count)
			}
		}
	}
	ch <- prometheus.MustNewConstHistogram(c.desc("setup_seconds", "Setup time, INVITE to 200 OK, of the answered calls."),
		uint64(h.Count()), h.Mean().Seconds()*float64(h.Count()), buckets)
}
