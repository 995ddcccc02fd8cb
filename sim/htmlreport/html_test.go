package htmlreport

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/ladder"
	"pbxlab/sim/report"
	"pbxlab/sim/threshold"
)

// sampleReport is a small run: answered and failed calls over three
// seconds, measured streams, one failed call sampled.
func sampleReport() *report.Report {
	start := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	now := start
	c := report.NewCollector(`<script>alert(1)</script>`, "127.0.0.1:5060", start)
	c.SetNow(func() time.Time { return now })
	c.Bound(1)
	for i := range 3 {
		c.CallStarted()
		now = now.Add(time.Second)
		c.Call(report.CallOutcome{Code: 200, Setup: time.Duration(i+1) * 30 * time.Millisecond, Expected: true})
		c.Quality(report.Stream{Received: 100, MOS: 4.4})
		c.CallDone()
	}
	c.CallStarted()
	c.Call(report.CallOutcome{Code: 503, CallID: "call-1@x", Caller: "100", Callee: "101"})
	c.CallDone()
	return c.Report(now)
}

// TestReportHTMLIsSelfContained: the page has every plot and the failed
// call's ladder, references nothing outside itself, and escapes what the
// scenario names.
func TestReportHTMLIsSelfContained(t *testing.T) {
	rep := sampleReport()
	a, b := netip.MustParseAddrPort("127.0.0.1:5070"), netip.MustParseAddrPort("127.0.0.1:5060")
	AttachMessages(rep, []ladder.Message{
		{Time: rep.Started, Src: a, Dst: b, Label: "INVITE", CallID: "call-1@x", CSeq: "1 INVITE"},
		{Time: rep.Started.Add(time.Millisecond), Src: b, Dst: a, Label: "503 Service Unavailable", Response: true, CallID: "call-1@x", CSeq: "1 INVITE"},
		{Time: rep.Started, Src: a, Dst: b, Label: "REGISTER", CallID: "other"},
	})
	if len(rep.FailedCalls) != 1 || len(rep.FailedCalls[0].Messages) != 2 {
		t.Fatalf("failed calls %+v", rep.FailedCalls)
	}
	var out bytes.Buffer
	if err := Write(&out, rep); err != nil {
		t.Fatal(err)
	}
	page := out.String()
	for _, want := range []string{"Calls per second", "Calls in progress", "Setup time", "Final status", "MOS of the measured streams",
		"100 → 101: 503", "503 Service Unavailable", "&lt;script&gt;alert(1)"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(page, "<svg"); n != 7 {
		t.Errorf("%d SVGs, want 6 plots and 1 ladder", n)
	}
	for _, bad := range []string{"<script", "src=", "href=", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
}

// TestReportHTMLWithoutCapture: a failed call without messages says so
// instead of drawing an empty ladder; an empty run still renders.
func TestReportHTMLWithoutCapture(t *testing.T) {
	for _, rep := range []*report.Report{sampleReport(), report.NewCollector("empty", "", time.Unix(0, 0)).Report(time.Unix(0, 0))} {
		var out bytes.Buffer
		if err := Write(&out, rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.FailedCalls) > 0 && !strings.Contains(out.String(), "No SIP message of this call") {
			t.Errorf("page without capture:\n%s", out.String())
		}
	}
}

// TestReportHTMLCeiling: a ceiling run's page has the headline and a row
// per step with its verdict.
func TestReportHTMLCeiling(t *testing.T) {
	rep := sampleReport()
	rep.Ceiling = &report.Ceiling{CallsPerS: 20, BrokenAt: 30, Broken: []string{"setup_p99 < 200ms"}, Max: 100,
		Thresholds: []string{"setup_p99 < 200ms"}, Steps: []report.CeilingStep{
			{Step: 1, Offered: 10, Achieved: 10, Attempted: 100, Answered: 100, AnswerRatio: 1, SetupP50: 3 * time.Millisecond, SetupP99: 9 * time.Millisecond, Pass: true},
			{Step: 2, Offered: 20, Achieved: 19.5, Attempted: 195, Answered: 195, AnswerRatio: 1, SetupP50: 5 * time.Millisecond, SetupP99: 90 * time.Millisecond, Pass: true},
			{Step: 3, Offered: 30, Achieved: 28, Attempted: 280, Answered: 270, AnswerRatio: 270.0 / 280, SetupP50: 5 * time.Millisecond, SetupP99: 450 * time.Millisecond, FailuresByCode: map[int]int{503: 10},
				Thresholds: []threshold.Result{{Threshold: "setup_p99 < 200ms", Shown: "450ms"}}},
		}}
	var out bytes.Buffer
	if err := Write(&out, rep); err != nil {
		t.Fatal(err)
	}
	page := out.String()
	for _, want := range []string{"<h2>Ceiling</h2>", "ceiling_calls_per_s 20 (broke at 30: setup_p99 &lt; 200ms)",
		"<td>3</td><td>30</td><td>28.00</td><td>280</td><td>0.9643</td><td>5ms</td>", "<td>503×10</td>",
		`<td class="fail">FAIL setup_p99 &lt; 200ms (450ms)</td>`, "ceiling        ceiling_calls_per_s 20"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(page, `<td class="pass">pass</td>`); n != 2 {
		t.Errorf("%d passing steps shown, want 2", n)
	}
}

// TestReportHTMLJourney: a run with a journey gets its table, one row per
// step with its counters and failure reasons.
func TestReportHTMLJourney(t *testing.T) {
	start := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	c := report.NewCollector("j", "t", start)
	c.JourneyStep(report.StepResult{Index: 0, Kind: "dtmf", Name: "dtmf 1#", Latency: 300 * time.Millisecond})
	c.JourneyStep(report.StepResult{Index: 0, Kind: "dtmf", Name: "dtmf 1#", Reason: "not received"})
	c.JourneyStep(report.StepResult{Index: 1, Kind: "hangup", Name: "hangup", Skipped: true})
	var out bytes.Buffer
	if err := Write(&out, c.Report(start.Add(time.Second))); err != nil {
		t.Fatal(err)
	}
	page := out.String()
	for _, want := range []string{"<h2>Journey</h2>", "<td>1. dtmf 1#</td><td>2</td><td>1</td><td class=\"fail\">1</td><td>not received×1</td><td>0</td><td>p50 300ms",
		"<td>2. hangup</td><td>0</td><td>0</td><td>0</td><td></td><td>1</td><td>n/a</td>"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(sampleHTML(t), "<h2>Journey</h2>") {
		t.Error("a run without a journey has a journey table")
	}
}

func sampleHTML(t *testing.T) string {
	t.Helper()
	var out bytes.Buffer
	if err := Write(&out, sampleReport()); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestReportHTMLMerged: the page of a merged report plots the shards'
// series added on one time axis (a shard started 2 s later draws its
// calls 2 s to the right: the time axis runs to 5 s), every line drawn.
func TestReportHTMLMerged(t *testing.T) {
	a, b := sampleReport(), sampleReport()
	a.Shard, b.Shard = "0/2", "1/2"
	b.Started = b.Started.Add(2 * time.Second)
	m, err := report.Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Series.Points) != 6 || m.Series.Points[2].Started != 2 || m.Series.Points[3].Answered != 2 ||
		m.Series.Points[3].Registered != 2 || m.Series.Points[4].Registered != 1 {
		t.Fatalf("merged series %+v", m.Series.Points)
	}
	var out bytes.Buffer
	if err := Write(&out, m); err != nil {
		t.Fatal(err)
	}
	page := out.String()
	// calls per second (started, answered, failed), in progress and
	// registered, mean MOS
	if n := strings.Count(page, "<polyline"); n != 6 {
		t.Errorf("%d lines plotted, want 6", n)
	}
	for _, want := range []string{"Calls per second", `text-anchor="middle">5s</text>`} {
		if !strings.Contains(page, want) {
			t.Errorf("merged page lacks %q", want)
		}
	}
}
