package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"pbxlab/sim/threshold"
)

// a full report: every threshold metric has data
func fullSample() *Report {
	c := NewCollector("demo", "127.0.0.1:5060", time.Unix(0, 0))
	c.Registered()
	c.RegisterFailed(403)
	for i := range 10 {
		c.Call(CallOutcome{Code: 200, Setup: time.Duration(i+1) * 10 * time.Millisecond, Ring: time.Millisecond, Expected: true})
		c.Audio(i != 0)
		c.Quality(Stream{Received: 50, LossPercent: 1, Jitter: time.Millisecond, Delay: time.Millisecond, DelayKnown: true, MOS: 4.2})
	}
	c.Call(CallOutcome{Code: 486, Expected: false})
	c.CallSkipped()
	return c.Report(time.Unix(20, 0))
}

func TestMetricsProvidesEveryThresholdMetric(t *testing.T) {
	m := fullSample().Metrics()
	for _, name := range threshold.Metrics() {
		if _, ok := m[name]; !ok {
			t.Errorf("Metrics lacks %s", name)
		}
	}
	for name := range m {
		if _, ok := threshold.KindOf(name); !ok {
			t.Errorf("Metrics has %s, which thresholds do not know", name)
		}
	}
	want := map[string]float64{
		"attempted": 11, "answered": 10, "answer_ratio": 10.0 / 11, "audio_ok": 0.9, "skip_ratio": 1.0 / 12,
		"failures": 2, "audio_failed": 1, // 1 registration + 1 unexpected; audio apart
		"setup_p99": float64(100 * time.Millisecond), "loss_max": 1, "mos_min": 4.2,
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
}

func TestMetricsWithoutDataLeaveRatiosOut(t *testing.T) {
	m := NewCollector("idle", "", time.Unix(0, 0)).Report(time.Unix(1, 0)).Metrics()
	for _, name := range []string{"answer_ratio", "audio_ok", "setup_p99", "mos_min", "jitter_p95"} {
		if _, ok := m[name]; ok {
			t.Errorf("%s present without data", name)
		}
	}
	if m["failures"] != 0 || m["attempted"] != 0 {
		t.Errorf("counts %v", m)
	}
}

func TestCheckThresholdsInTextAndJSON(t *testing.T) {
	var ts []threshold.Threshold
	for _, s := range []string{"setup_p99 < 200ms", "answer_ratio > 0.99", "failures == 0"} {
		th, err := threshold.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, th)
	}
	r := fullSample()
	if r.CheckThresholds(ts) {
		t.Fatal("thresholds passed with answer_ratio 0.91 and 2 failures")
	}
	if got := strings.Join(r.FailedThresholds(), "; "); got != "answer_ratio > 0.99; failures == 0" {
		t.Errorf("failed = %q", got)
	}
	var b bytes.Buffer
	if err := r.Text(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"thresholds     pass  setup_p99 < 200ms", "(100ms)", "FAIL  answer_ratio > 0.99", "(0.9091)", "FAIL  failures == 0", "(2)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"threshold":"failures == 0","value":2,"measured":true,"pass":false,"shown":"2"`) {
		t.Errorf("json lacks the threshold results: %s", js)
	}
}
