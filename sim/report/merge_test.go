package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// shardReports collects outcomes dealt round-robin to n collectors, and
// the same outcomes into one.
func shardReports(t *testing.T, n int) (*Report, []*Report) {
	t.Helper()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	whole := NewCollector("s", "pbx:5060", start)
	parts := make([]*Collector, n)
	for i := range parts {
		parts[i] = NewCollector("s", "pbx:5060", start.Add(time.Duration(i)*time.Second))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	codes := []int{200, 200, 200, 486, 487, 603, 0}
	for i := range 600 {
		o := CallOutcome{Code: codes[rng.IntN(len(codes))], Expected: rng.IntN(10) > 0}
		if o.Code == 200 {
			o.Setup = time.Duration(rng.IntN(2000)) * time.Millisecond
		}
		if o.Code != 0 {
			o.Ring = time.Duration(rng.IntN(50000)) * time.Microsecond
		}
		s := Stream{Received: int64(rng.IntN(3)) * 100, LossPercent: float64(rng.IntN(5)), Jitter: time.Duration(rng.IntN(30)) * time.Millisecond,
			Delay: time.Duration(rng.IntN(100)) * time.Millisecond, DelayKnown: rng.IntN(2) == 0, MOS: 3 + float64(rng.IntN(140))/100}
		for _, c := range []*Collector{whole, parts[i%n]} {
			c.Call(o)
			if o.Code == 200 {
				c.MediaCall()
				c.Audio(i%7 != 0)
				c.Quality(s)
			}
			switch i % 50 {
			case 0:
				c.Registered()
			case 1:
				c.RegisterFailed(403)
			case 2:
				c.CallSkipped()
			}
		}
	}
	var reps []*Report
	for i, c := range parts {
		r := c.Report(start.Add(time.Minute))
		r.Shard = fmt.Sprintf("%d/%d", i, n)
		reps = append(reps, r)
	}
	return whole.Report(start.Add(time.Minute)), reps
}

func TestMergeEqualsTheWhole(t *testing.T) {
	whole, parts := shardReports(t, 3)
	// through JSON, as pbxlab sim merge reads them
	for i, r := range parts {
		var b bytes.Buffer
		if err := json.NewEncoder(&b).Encode(r); err != nil {
			t.Fatal(err)
		}
		d, err := Decode(&b)
		if err != nil {
			t.Fatal(err)
		}
		parts[i] = d
	}
	m, err := Merge(parts...)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Registrations, whole.Registrations) || !reflect.DeepEqual(m.Calls, whole.Calls) ||
		m.Audio != whole.Audio {
		t.Errorf("merged counters\n%+v %+v %+v\nwhole\n%+v %+v %+v", m.Registrations, m.Calls, m.Audio,
			whole.Registrations, whole.Calls, whole.Audio)
	}
	if !reflect.DeepEqual(m.Histograms, whole.Histograms) || !reflect.DeepEqual(m.SetupHistogram.Buckets(), whole.SetupHistogram.Buckets()) ||
		!slices.Equal(m.MOSCounts, whole.MOSCounts) {
		t.Errorf("merged histograms differ from the whole run's")
	}
	q, wq := m.Quality, whole.Quality
	if q.Streams != wq.Streams || q.Silent != wq.Silent || q.MOSMin != wq.MOSMin || q.LossMax != wq.LossMax ||
		q.Delay.Count != wq.Delay.Count || q.Jitter.Count != wq.Jitter.Count || q.Jitter.Max != wq.Jitter.Max ||
		diff(q.LossMean, wq.LossMean) > 1e-9 || diff(q.MOSP50, wq.MOSP50) > 0.011 || diff(q.MOSP5, wq.MOSP5) > 0.011 {
		t.Errorf("merged quality %+v\nwhole %+v", q, wq)
	}
	if m.SetupTime.Count != whole.SetupTime.Count || m.SetupTime.Max != whole.SetupTime.Max ||
		m.SetupTime.P99 < whole.SetupTime.P99 || m.SetupTime.P99 > whole.SetupTime.P99*17/16+time.Microsecond {
		t.Errorf("merged setup %+v, whole %+v", m.SetupTime, whole.SetupTime)
	}
	if want := []string{"0/3", "1/3", "2/3"}; !slices.Equal(m.Shards, want) {
		t.Errorf("shards %v, want %v", m.Shards, want)
	}
	if !m.Started.Equal(parts[0].Started) || m.Elapsed != time.Minute {
		t.Errorf("started %s elapsed %s", m.Started, m.Elapsed)
	}
}

func diff(a, b float64) float64 {
	if a > b {
		return a - b
	}
	return b - a
}

func TestMergeRefuses(t *testing.T) {
	_, parts := shardReports(t, 2)
	other := *parts[1]
	other.Seed++
	noHist := *parts[1]
	noHist.Histograms = nil
	for _, tc := range []struct {
		name string
		reps []*Report
	}{
		{"none", nil},
		{"nil", []*Report{parts[0], nil}},
		{"other seed", []*Report{parts[0], &other}},
		{"shard twice", []*Report{parts[0], parts[0]}},
		{"no histograms", []*Report{parts[0], &noHist}},
	} {
		if _, err := Merge(tc.reps...); !errors.Is(err, ErrMerge) {
			t.Errorf("%s: Merge = %v, want ErrMerge", tc.name, err)
		}
	}
}

// FuzzDecodeMerge: any bytes decode or fail, and whatever decodes merges
// or fails, without panicking.
func FuzzDecodeMerge(f *testing.F) {
	_, parts := shardReports(&testing.T{}, 2)
	for _, r := range parts {
		b, _ := json.Marshal(r)
		f.Add(b)
	}
	f.Add([]byte(`{"scenario":"s","histograms":{"mos":{"count":2,"buckets":{"9223372036854775807":1,"-5":1}}}}`))
	f.Add([]byte(`{"histograms":{"mos":{"count":-1,"buckets":{"1":-3}}}}`))
	f.Add([]byte(`{"ceiling":{"ceiling_calls_per_s":4,"broken_at_calls_per_s":6,"broken":["failures == 0"],"confirmed":false,` +
		`"steps":[{"step":1,"offered_calls_per_s":2,"setup_p50_ms":1e300,"failures_by_code":{"480":1},"thresholds":[{"threshold":"x"}]}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		var rb bytes.Buffer
		_ = r.Text(&rb) // a decoded report, its ceiling included
		m, err := Merge(r, r)
		if err != nil {
			return
		}
		var b bytes.Buffer
		_ = m.Text(&b)
		_, _ = json.Marshal(m)
	})
}
