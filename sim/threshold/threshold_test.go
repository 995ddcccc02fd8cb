package threshold

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in     string
		metric string
		op     Op
		value  float64
	}{
		{"setup_p99 < 200ms", "setup_p99", "<", float64(200 * time.Millisecond)},
		{"  setup_p99<=1.5s ", "setup_p99", "<=", float64(1500 * time.Millisecond)},
		{"answer_ratio > 0.99", "answer_ratio", ">", 0.99},
		{"answer_ratio >= 99%", "answer_ratio", ">=", 0.99},
		{"audio_ok > 0.99", "audio_ok", ">", 0.99},
		{"failures == 0", "failures", "==", 0},
		{"skipped != 3", "skipped", "!=", 3},
		{"loss_max < 1%", "loss_max", "<", 1},
		{"loss_mean < 0.5", "loss_mean", "<", 0.5},
		{"mos_min >= 4", "mos_min", ">=", 4},
	}
	for _, tc := range tests {
		th, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if th.Metric != tc.metric || th.Op != tc.op || th.Value != tc.value || th.Text != strings.TrimSpace(tc.in) {
			t.Errorf("Parse(%q) = %+v", tc.in, th)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"", ErrSyntax},
		{"< 200ms", ErrSyntax},
		{"setup_p99 200ms", ErrSyntax},
		{"setup_p99 =< 200ms", ErrSyntax},
		{"setup_p99 <", ErrSyntax},
		{"setup_p100 < 200ms", ErrUnknownMetric},
		{"Setup_p99 < 200ms", ErrSyntax},
		{"setup_p99 < 200", ErrValue},  // a duration needs its unit
		{"setup_p99 < -1s", ErrValue},  // negative
		{"setup_p99 < fast", ErrValue}, // not a duration
		{"answer_ratio > 1.5", ErrValue},
		{"answer_ratio > 150%", ErrValue},
		{"answer_ratio > NaN", ErrValue},
		{"answer_ratio > 0x1p-2", ErrValue},
		{"answer_ratio > 200ms", ErrValue},
		{"failures == 0.5", ErrValue},
		{"failures == -1", ErrValue},
		{"failures == 1%", ErrValue},
		{"mos_min > Inf", ErrValue},
		{"loss_max < 101%", ErrValue},
		{"setup_p99 < 200ms " + strings.Repeat("x", 300), ErrSyntax},
	}
	for _, tc := range tests {
		_, err := Parse(tc.in)
		if !errors.Is(err, tc.want) {
			t.Errorf("Parse(%q) = %v, want %v", tc.in, err, tc.want)
		}
	}
}

func TestCheck(t *testing.T) {
	values := map[string]float64{
		"setup_p99":    float64(150 * time.Millisecond),
		"answer_ratio": 0.995,
		"failures":     2,
	}
	tests := []struct {
		in       string
		pass     bool
		measured bool
		shown    string
	}{
		{"setup_p99 < 200ms", true, true, "150ms"},
		{"setup_p99 < 150ms", false, true, "150ms"},
		{"setup_p99 <= 150ms", true, true, "150ms"},
		{"answer_ratio > 0.99", true, true, "0.9950"},
		{"answer_ratio >= 99.6%", false, true, "0.9950"},
		{"failures == 0", false, true, "2"},
		{"failures != 0", true, true, "2"},
		{"failures > 1", true, true, "2"},
		{"audio_ok > 0.99", false, false, "n/a"}, // no data: fails
	}
	for _, tc := range tests {
		th, err := Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		r := th.Check(values)
		if r.Pass != tc.pass || r.Measured != tc.measured || r.Shown != tc.shown || r.Threshold != tc.in {
			t.Errorf("%q: %+v", tc.in, r)
		}
	}
}

func TestEveryMetricHasAKind(t *testing.T) {
	for _, m := range Metrics() {
		k, ok := KindOf(m)
		if !ok || strings.HasPrefix(k.String(), "kind(") {
			t.Errorf("metric %s: kind %v", m, k)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"setup_p99 < 200ms", "answer_ratio > 99%", "failures == 0", "loss_max<1%",
		"mos_min >= 4.2", "x", "setup_p99 < 1e400s", "answer_ratio > 1e-400", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		th, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrUnknownMetric) && !errors.Is(err, ErrValue) {
				t.Fatalf("Parse(%q): error %v matches no sentinel", s, err)
			}
			return
		}
		if _, ok := KindOf(th.Metric); !ok || th.Value != th.Value || th.Value < 0 {
			t.Fatalf("Parse(%q) accepted %+v", s, th)
		}
		again, err := Parse(th.Text)
		if err != nil || again != th {
			t.Fatalf("Parse(%q) = %+v, reparsed %+v, %v", s, th, again, err)
		}
		_ = th.Check(map[string]float64{th.Metric: th.Value})
	})
}
