package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

func msList(vals ...int) []time.Duration {
	out := make([]time.Duration, len(vals))
	for i, v := range vals {
		out[i] = time.Duration(v) * time.Millisecond
	}
	return out
}

func TestPercentiles(t *testing.T) {
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100..1, unsorted on purpose
	}
	tests := []struct {
		name          string
		in            []time.Duration
		p50, p95, p99 time.Duration
	}{
		{"empty", nil, 0, 0, 0},
		{"one", msList(7), 7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond},
		{"two", msList(20, 10), 10 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond},
		{"1..100", msList(hundred...), 50 * time.Millisecond, 95 * time.Millisecond, 99 * time.Millisecond},
		{"outlier", msList(1, 1, 1, 1, 1, 1, 1, 1, 1, 1000), time.Millisecond, time.Second, time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]time.Duration(nil), tc.in...)
			p := Compute(tc.in)
			if p.P50 != tc.p50 || p.P95 != tc.p95 || p.P99 != tc.p99 {
				t.Fatalf("got p50 %v p95 %v p99 %v, want %v %v %v", p.P50, p.P95, p.P99, tc.p50, tc.p95, tc.p99)
			}
			if p.Count != len(tc.in) {
				t.Fatalf("count %d", p.Count)
			}
			for i := range in {
				if in[i] != tc.in[i] {
					t.Fatal("Compute modified its input")
				}
			}
		})
	}
}

func sample() *Report {
	start := time.Unix(1000, 0)
	c := NewCollector("demo", "127.0.0.1:5060", start)
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Registered()
			c.Call(CallOutcome{Code: 200, Setup: time.Duration(i+1) * 10 * time.Millisecond, Ring: 5 * time.Millisecond, Expected: true})
			c.Audio(i != 3)
		}()
	}
	wg.Wait()
	c.RegisterFailed(403)
	c.Call(CallOutcome{Code: 486, Expected: true})
	c.Call(CallOutcome{Code: 486, Expected: false})
	c.Call(CallOutcome{Code: 0})
	c.CallSkipped()
	c.Unregistered()
	return c.Report(start.Add(20 * time.Second))
}

func TestCollector(t *testing.T) {
	r := sample()
	if r.Registrations.OK != 10 || r.Registrations.Failed != 1 || r.Registrations.FailedByCode[403] != 1 {
		t.Fatalf("registrations %+v", r.Registrations)
	}
	c := r.Calls
	if c.Attempted != 13 || c.Answered != 10 || c.Failed != 3 || c.ByCode[486] != 2 || c.ByCode[0] != 1 || c.Skipped != 1 || c.Unexpected != 2 {
		t.Fatalf("calls %+v", c)
	}
	if r.SetupTime.P50 != 50*time.Millisecond || r.SetupTime.P99 != 100*time.Millisecond || r.SetupTime.Count != 10 {
		t.Fatalf("setup %+v", r.SetupTime)
	}
	if r.Audio.Checked != 10 || r.Audio.Verified != 9 || r.Audio.VerifiedPercent != 90 {
		t.Fatalf("audio %+v", r.Audio)
	}
	if r.Elapsed != 20*time.Second {
		t.Fatalf("elapsed %v", r.Elapsed)
	}
}

func TestText(t *testing.T) {
	var b bytes.Buffer
	if err := sample().Text(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"scenario demo against 127.0.0.1:5060 (20.0s, seed 0)",
		"ok 10  failed 1 (403×1)",
		"attempted 13  answered 10  failed 3",
		"none×1, 200×10, 486×2",
		"p50 50ms  p95 100ms  p99 100ms",
		"9/10 verified (90.0%)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n > 10 {
		t.Errorf("text is %d lines, want a short block", n)
	}
}

func TestJSON(t *testing.T) {
	b, err := json.Marshal(sample())
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Scenario string  `json:"scenario"`
		Elapsed  float64 `json:"elapsed_s"`
		Calls    struct {
			Attempted int            `json:"attempted"`
			ByCode    map[string]int `json:"by_code"`
		} `json:"calls"`
		SetupTime struct {
			P95 float64 `json:"p95_ms"`
		} `json:"setup_time"`
		Audio struct {
			Percent float64 `json:"verified_percent"`
		} `json:"audio"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	if got.Scenario != "demo" || got.Elapsed != 20 || got.Calls.Attempted != 13 || got.Calls.ByCode["486"] != 2 || got.SetupTime.P95 != 100 || got.Audio.Percent != 90 {
		t.Fatalf("json %s decoded as %+v", b, got)
	}
}
