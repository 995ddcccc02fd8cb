package report

import (
	"encoding/json"
	"testing"
	"time"
)

// fakeNow is a settable time source for the Collector.
type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time          { return f.t }
func (f *fakeNow) advance(d time.Duration) { f.t = f.t.Add(d) }

// TestCollectorSeriesAndSnapshot: calls and registrations land in the
// interval they happen in, quiet intervals carry the gauges on, and the
// snapshot shows the live counts and the rate of the last 5 s.
func TestCollectorSeriesAndSnapshot(t *testing.T) {
	start := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clk := &fakeNow{start}
	c := NewCollector("s", "pbx:5060", start)
	c.SetNow(clk.now)
	c.Bound(1)
	c.Bound(1)
	c.CallStarted()
	c.CallStarted()
	clk.advance(1500 * time.Millisecond)
	c.Call(CallOutcome{Code: 200, Setup: 40 * time.Millisecond, Expected: true})
	c.CallDone()
	c.Quality(Stream{Received: 50, MOS: 4.4, LossPercent: 1})
	c.Quality(Stream{Received: 50, MOS: 4.2, LossPercent: 3})
	c.Call(CallOutcome{Code: 486, Expected: false, CallID: "abc", Caller: "100", Callee: "101"})
	c.CallDone()
	clk.advance(2 * time.Second) // t=3.5 s: interval 2 is quiet
	c.CallStarted()
	c.Bound(-1)

	s := c.Snapshot()
	if s.Registered != 1 || s.InProgress != 1 || s.Started != 3 || s.Answered != 1 || s.Failed != 1 ||
		s.FailedByCode[486] != 1 || len(s.FailedByCode) != 1 || s.SetupP95 < 40*time.Millisecond {
		t.Fatalf("snapshot %+v", s)
	}
	if s.Rate != 3/3.5 {
		t.Errorf("rate %v, want 3 calls in 3.5 s", s.Rate)
	}
	r := c.Report(clk.now())
	want := []Point{
		{T: 0, Started: 2, Concurrency: 2, Registered: 2},
		{T: 1, Answered: 1, Failed: 1, Concurrency: 2, Registered: 2, Streams: 2, MOSMean: 4.3, LossMean: 2},
		{T: 2, Registered: 2},
		{T: 3, Started: 1, Concurrency: 1, Registered: 1},
	}
	if r.Series.Interval != time.Second || len(r.Series.Points) != len(want) {
		t.Fatalf("series %+v", r.Series)
	}
	for i, p := range want {
		if r.Series.Points[i] != p {
			t.Errorf("point %d = %+v, want %+v", i, r.Series.Points[i], p)
		}
	}
	if r.SetupHistogram.Count() != 1 || r.MOSCounts[32] != 1 || r.MOSCounts[34] != 1 {
		t.Errorf("setup histogram %d, MOS counts %v", r.SetupHistogram.Count(), r.MOSCounts)
	}
	if len(r.FailedCalls) != 1 || r.FailedCalls[0].CallID != "abc" || r.FailedCalls[0].Code != 486 || r.FailedCalls[0].Callee != "101" {
		t.Errorf("failed calls %+v", r.FailedCalls)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Series         Series    `json:"series"`
		SetupHistogram Histogram `json:"setup_histogram"`
		Calls          Calls     `json:"calls"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Series.Interval != time.Second || len(back.Series.Points) != 4 || back.SetupHistogram.Count() != 1 || back.Calls.Answered != 1 {
		t.Errorf("JSON round trip: %s", b)
	}
}

// TestSeriesCoarsensPastAnHour: a run longer than maxPoints intervals
// keeps at most maxPoints points, the interval doubling, counts kept.
func TestSeriesCoarsensPastAnHour(t *testing.T) {
	start := time.Unix(0, 0)
	clk := &fakeNow{start}
	c := NewCollector("s", "", start)
	c.SetNow(clk.now)
	for range 2*maxPoints + 10 {
		c.CallStarted()
		c.CallDone()
		clk.advance(time.Second)
	}
	r := c.Report(clk.now())
	total := 0
	for _, p := range r.Series.Points {
		total += p.Started
	}
	if r.Series.Interval != 4*time.Second || len(r.Series.Points) > maxPoints || total != 2*maxPoints+10 {
		t.Fatalf("interval %s, %d points, %d calls", r.Series.Interval, len(r.Series.Points), total)
	}
}

// TestReportJSONDecodesBack: a report's JSON (as `pbxlab sim --json`
// prints it and internal/pbxcontainer reads it) decodes into a Report with
// its series, histogram and failed calls.
func TestReportJSONDecodesBack(t *testing.T) {
	start := time.Unix(100, 0)
	now := start
	c := NewCollector("s", "t", start)
	c.SetNow(func() time.Time { return now })
	c.CallStarted()
	now = now.Add(1200 * time.Millisecond)
	c.Call(CallOutcome{Code: 200, Setup: 80 * time.Millisecond, Expected: true})
	c.Call(CallOutcome{Code: 500, CallID: "x"})
	c.CallDone()
	r := c.Report(now)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Calls.Attempted != 2 || len(back.Series.Points) != 2 || back.Series.Interval != time.Second ||
		back.SetupHistogram.Count() != 1 || back.SetupHistogram.Max() != 80*time.Millisecond || len(back.FailedCalls) != 1 {
		t.Fatalf("decoded %+v from %s", back, b)
	}
}
