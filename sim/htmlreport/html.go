// Package htmlreport renders a simulator run's report (sim/report) as one
// self-contained HTML page: the text summary, the thresholds, inline SVG
// plots drawn here (calls per second and concurrency over time, the
// setup-time histogram, final statuses, audio quality) and ladder diagrams
// (internal/ladder) of a few failed calls from the run's capture. No
// script, no external asset.
package htmlreport

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"net/netip"
	"slices"
	"time"

	"pbxlab/internal/ladder"
	"pbxlab/sim/report"
)

// AttachMessages fills each of rep's FailedCalls with the SIP messages of
// its Call-ID among msgs (a capture of the run's phones).
func AttachMessages(rep *report.Report, msgs []ladder.Message) {
	for i := range rep.FailedCalls {
		fc := &rep.FailedCalls[i]
		fc.Messages = nil
		for _, m := range msgs {
			if m.CallID == fc.CallID {
				fc.Messages = append(fc.Messages, report.Message{At: m.Time, From: m.Src.String(), To: m.Dst.String(),
					Label: m.Label})
			}
		}
	}
}

// Write renders rep as an HTML page to w. A failed call with messages
// (AttachMessages) gets a ladder diagram; one without says it was not
// captured.
func Write(w io.Writer, rep *report.Report) error {
	var text bytes.Buffer
	if err := rep.Text(&text); err != nil {
		return err
	}
	page := struct {
		R       *report.Report
		Text    string
		Plots   []template.HTML
		Ladders []ladderView
	}{R: rep, Text: text.String(), Plots: plots(rep)}
	for _, fc := range rep.FailedCalls {
		lv := ladderView{Title: fmt.Sprintf("%s → %s: %s (Call-ID %s)", fc.Caller, fc.Callee, status(fc.Code), fc.CallID)}
		if len(fc.Messages) > 0 {
			var svg bytes.Buffer
			if err := ladder.New(toLadder(fc.Messages)).SVG(&svg); err != nil {
				return err
			}
			lv.SVG = template.HTML(svg.String()) //nolint:gosec // ladder escapes its labels
		}
		page.Ladders = append(page.Ladders, lv)
	}
	return pageTmpl.Execute(w, page)
}

type ladderView struct {
	Title string
	SVG   template.HTML
}

// toLadder turns a report's messages back into the ladder's.
func toLadder(ms []report.Message) []ladder.Message {
	out := make([]ladder.Message, 0, len(ms))
	for _, m := range ms {
		src, _ := netip.ParseAddrPort(m.From)
		dst, _ := netip.ParseAddrPort(m.To)
		resp := len(m.Label) >= 3 && m.Label[0] >= '1' && m.Label[0] <= '6' && m.Label[1] >= '0' && m.Label[1] <= '9'
		out = append(out, ladder.Message{Time: m.At, Src: src, Dst: dst, Label: m.Label, Response: resp})
	}
	return out
}

func status(code int) string {
	if code == 0 {
		return "no final response"
	}
	return fmt.Sprint(code)
}

// plots draws the report's charts.
func plots(rep *report.Report) []template.HTML {
	s := rep.Series
	iv := max(s.Interval, time.Second).Seconds()
	xs := make([]float64, len(s.Points))
	var started, answered, failed, conc, reg, mos []float64
	for i, p := range s.Points {
		xs[i] = float64(p.T) * iv
		started = append(started, float64(p.Started)/iv)
		answered = append(answered, float64(p.Answered)/iv)
		failed = append(failed, float64(p.Failed)/iv)
		conc = append(conc, float64(p.Concurrency))
		reg = append(reg, float64(p.Registered))
		mos = append(mos, p.MOSMean)
	}
	out := []string{
		lineChart("Calls per second", "calls/s", xs, []line{
			{"started", "#1f77b4", started}, {"answered", "#2ca02c", answered}, {"failed", "#d62728", failed}}),
		lineChart("Calls in progress and phones registered", "count", xs, []line{
			{"in progress", "#9467bd", conc}, {"registered", "#8c564b", reg}}),
		barChart("Setup time (INVITE → 200 OK)", "calls", setupBars(&rep.SetupHistogram)),
		barChart("Final status of the calls", "calls", codeBars(rep.Calls.ByCode)),
	}
	if len(rep.MOSCounts) > 0 {
		var bars []bar
		for i, n := range rep.MOSCounts {
			color := "#d62728"
			if lo := 1 + float64(i)/10; lo >= 4 {
				color = "#2ca02c"
			} else if lo >= 3.6 {
				color = "#ff7f0e"
			}
			bars = append(bars, bar{fmt.Sprintf("%.1f", 1+float64(i)/10), color, float64(n)})
		}
		out = append(out, barChart("Audio quality: MOS of the measured streams", "streams", bars),
			lineChart("Audio quality over time: mean MOS of the streams ending", "MOS", xs, []line{{"MOS", "#17becf", mos}}))
	}
	h := make([]template.HTML, len(out))
	for i, o := range out {
		h[i] = template.HTML(o) //nolint:gosec // drawn here, labels escaped
	}
	return h
}

// setupBars groups the histogram's buckets by quarter octaves for display.
func setupBars(h *report.Histogram) []bar {
	type group struct {
		hi time.Duration
		n  int
	}
	var gs []group
	for _, b := range h.Buckets() {
		hi := max(b.High, time.Microsecond)
		// upper edge of the quarter octave holding the bucket
		q := math.Ceil(4 * math.Log2(float64(hi/time.Microsecond)))
		edge := time.Duration(math.Pow(2, q/4)) * time.Microsecond
		if len(gs) > 0 && gs[len(gs)-1].hi == edge {
			gs[len(gs)-1].n += b.Count
			continue
		}
		gs = append(gs, group{edge, b.Count})
	}
	bars := make([]bar, len(gs))
	for i, g := range gs {
		bars[i] = bar{"≤" + short(g.hi), "#1f77b4", float64(g.n)}
	}
	return bars
}

// short renders a duration with three significant digits at most.
func short(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.3gs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.3gms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%dµs", d/time.Microsecond)
}

// codeBars is one bar per final status, coloured by class.
func codeBars(m map[int]int) []bar {
	codes := make([]int, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	bars := make([]bar, len(codes))
	for i, c := range codes {
		color := "#d62728"
		switch {
		case c >= 200 && c < 300:
			color = "#2ca02c"
		case c >= 400 && c < 500:
			color = "#ff7f0e"
		}
		label := fmt.Sprint(c)
		if c == 0 {
			label = "none"
		}
		bars[i] = bar{label, color, float64(m[c])}
	}
	return bars
}

// funcs are the page's helpers: a rate, a setup time ("n/a" without an
// answered call).
var funcs = template.FuncMap{
	"rate": report.Rate,
	"ms": func(d time.Duration, answered int) string {
		if answered == 0 {
			return "n/a"
		}
		return short(d)
	},
}

var pageTmpl = template.Must(template.New("page").Funcs(funcs).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>pbxlab sim: {{.R.Scenario}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1400px}
pre{background:#f6f6f6;padding:1em;overflow:auto}
.plots{display:flex;flex-wrap:wrap;gap:1em}
.plot{border:1px solid #ddd;background:#fff}
.plot .t{font-size:13px;font-weight:600}.plot .ax{font-size:10px;fill:#555}.plot .grid{stroke:#eee}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}
.pass{color:#2ca02c}.fail{color:#d62728;font-weight:600}
</style></head><body>
<h1>Scenario {{.R.Scenario}}{{if .R.Target}} against {{.R.Target}}{{end}}</h1>
<p>Started {{.R.Started.UTC.Format "2006-01-02 15:04:05 UTC"}}, seed {{.R.Seed}}.</p>
<pre>{{.Text}}</pre>
{{if .R.Thresholds}}<h2>Thresholds</h2><table><tr><th>threshold</th><th>measured</th><th>verdict</th></tr>
{{range .R.Thresholds}}<tr><td>{{.Threshold}}</td><td>{{.Shown}}</td>{{if .Pass}}<td class="pass">pass</td>{{else}}<td class="fail">FAIL</td>{{end}}</tr>
{{end}}</table>{{end}}
{{with .R.Ceiling}}<h2>Ceiling</h2>
<p><strong>{{.Headline}}</strong>. Each step is judged on its own calls by: {{range $i, $t := .Thresholds}}{{if $i}}; {{end}}<code>{{$t}}</code>{{end}}.</p>
<table><tr><th>step</th><th>offered calls/s</th><th>achieved calls/s</th><th>attempted</th><th>answer ratio</th><th>setup p50</th><th>setup p99</th><th>failures by code</th><th>verdict</th></tr>
{{range .Steps}}<tr><td>{{.Step}}{{if .Confirm}} (confirm){{end}}</td><td>{{rate .Offered}}</td><td>{{printf "%.2f" .Achieved}}</td><td>{{.Attempted}}</td><td>{{printf "%.4f" .AnswerRatio}}</td><td>{{ms .SetupP50 .Answered}}</td><td>{{ms .SetupP99 .Answered}}</td><td>{{.Codes}}</td>{{if .Pass}}<td class="pass">pass</td>{{else}}<td class="fail">{{.Verdict}}</td>{{end}}</tr>
{{end}}</table>{{end}}
{{if .R.Journey}}<h2>Journey</h2><table><tr><th>step</th><th>attempted</th><th>ok</th><th>failed</th><th>failed by reason</th><th>skipped</th><th>latency of the successes</th></tr>
{{range .R.Journey}}<tr><td>{{.Step}}. {{.Name}}</td><td>{{.Attempted}}</td><td>{{.OK}}</td>{{if .Failed}}<td class="fail">{{.Failed}}</td>{{else}}<td>0</td>{{end}}<td>{{.Reasons}}</td><td>{{.Skipped}}</td><td>{{.LatencyText}}</td></tr>
{{end}}</table>{{end}}
<h2>Over time and in distribution</h2>
<div class="plots">{{range .Plots}}{{.}}
{{end}}</div>
<h2>Failed calls</h2>
{{if .Ladders}}<p>Up to five calls whose outcome was not what their callee was told to do, with their SIP messages as the phones' capture recorded them.</p>
{{range .Ladders}}<h3>{{.Title}}</h3>{{if .SVG}}{{.SVG}}{{else}}<p>No SIP message of this call in the capture (the run was not captured).</p>{{end}}
{{end}}{{else}}<p>None.</p>{{end}}
</body></html>
`))
