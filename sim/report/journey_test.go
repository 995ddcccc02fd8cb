package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// journeyRun counts a two-step journey (hold, transfer) on four calls:
// three holds ok, one failed 491 (its transfer skipped); two transfers
// ok, one failed with NOTIFY 486.
func journeyRun(started time.Time) *Collector {
	c := NewCollector("j", "t", started)
	for i, lat := range []time.Duration{10, 20, 30} {
		c.JourneyStep(StepResult{Index: 0, Kind: "hold", Name: "hold 1s", Latency: lat * time.Millisecond})
		tr := StepResult{Index: 1, Kind: "transfer", Name: "transfer blind (drawn)", Latency: 200 * time.Millisecond}
		if i == 2 {
			tr.Reason = "notify 486"
		}
		c.JourneyStep(tr)
	}
	c.JourneyStep(StepResult{Index: 0, Kind: "hold", Name: "hold 1s", Reason: "491"})
	c.JourneyStep(StepResult{Index: 1, Kind: "transfer", Name: "transfer blind (drawn)", Skipped: true})
	return c
}

func TestJourneyCounters(t *testing.T) {
	start := time.Unix(1000, 0)
	r := journeyRun(start).Report(start.Add(time.Second))
	if len(r.Journey) != 2 {
		t.Fatalf("journey %+v", r.Journey)
	}
	h, tr := r.Journey[0], r.Journey[1]
	if h.Step != 1 || h.Attempted != 4 || h.OK != 3 || h.Failed != 1 || h.Skipped != 0 || h.FailedByReason["491"] != 1 {
		t.Errorf("hold %+v", h)
	}
	if h.Latency.Count != 3 || h.Latency.P50 != 20*time.Millisecond || h.Latency.Max != 30*time.Millisecond {
		t.Errorf("hold latency %+v: want the three successes' 10/20/30 ms", h.Latency)
	}
	if tr.Step != 2 || tr.Attempted != 3 || tr.OK != 2 || tr.Failed != 1 || tr.Skipped != 1 || tr.Reasons() != "notify 486×1" {
		t.Errorf("transfer %+v", tr)
	}
	var text bytes.Buffer
	_ = r.Text(&text)
	if !strings.Contains(text.String(), "step 2 transfer blind (drawn)     attempted 3  ok 2  failed 1 (notify 486×1)  skipped 1") {
		t.Errorf("text lacks the transfer step:\n%s", text.String())
	}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"journey":[{"step":1,"kind":"hold","name":"hold 1s","attempted":4,"ok":3,"failed":1,"skipped":0,"failed_by_reason":{"491":1},"latency":{"count":3,"p50_ms":20,`) {
		t.Errorf("JSON %s", data)
	}
}

// TestJourneyMerges: the shards' journey counters add up through their
// JSON reports; a latency percentile is the worst shard's.
func TestJourneyMerges(t *testing.T) {
	start := time.Unix(1000, 0)
	a := journeyRun(start).Report(start.Add(time.Second))
	b := NewCollector("j", "t", start)
	b.JourneyStep(StepResult{Index: 0, Kind: "hold", Name: "hold 1s", Latency: 90 * time.Millisecond})
	b.JourneyStep(StepResult{Index: 1, Kind: "transfer", Name: "transfer blind (drawn)", Reason: "timeout"})
	var reps []*Report
	for _, r := range []*Report{a, b.Report(start.Add(time.Second))} {
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back Report
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		reps = append(reps, &back)
	}
	m, err := Merge(reps...)
	if err != nil {
		t.Fatal(err)
	}
	h, tr := m.Journey[0], m.Journey[1]
	if h.Attempted != 5 || h.OK != 4 || h.Latency.Count != 4 || h.Latency.Max != 90*time.Millisecond {
		t.Errorf("merged hold %+v", h)
	}
	if tr.Attempted != 4 || tr.Failed != 2 || tr.Skipped != 1 || tr.FailedByReason["timeout"] != 1 || tr.FailedByReason["notify 486"] != 1 {
		t.Errorf("merged transfer %+v", tr)
	}
}
