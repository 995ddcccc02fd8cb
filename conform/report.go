package conform

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"pbxlab/conformance"
	"pbxlab/features"
	"pbxlab/internal/report"
)

// Report is the outcome of a run.
type Report struct {
	Profile   *Profile
	Plan      Plan
	Target    string         // as given
	Addr      netip.AddrPort // as resolved
	Transport string
	Tags      string // the user's narrowing expression
	// Concurrency is how many scenarios ran at once.
	Concurrency int
	Probe       ProbeResult
	Features    features.Result
	// Torture is nil when the torture messages were not sent.
	Torture *conformance.Report
	Start   time.Time
	Wall    time.Duration
	// Problems are what makes the run fail besides failed scenarios: a
	// must-run scenario that did not pass, a target that did not answer.
	Problems []string
}

// check fills Problems.
func (r *Report) check() {
	r.Problems = nil
	if r.Probe.Err != nil {
		r.Problems = append(r.Problems, r.Probe.Err.Error())
	}
	if r.notRun() {
		return // nothing ran: the must-run list says nothing more
	}
	status := map[string]string{}
	for _, d := range r.Features.Details {
		status[d.ID()] = d.Status
	}
	for _, m := range r.Plan.MustRun {
		if s := status[m.ID()]; s != features.StatusPassed {
			if s == "" {
				s = "did not run"
			}
			r.Problems = append(r.Problems, fmt.Sprintf("%s %q: %s", ErrMustRun, m.ID(), s))
		}
	}
	if r.Torture != nil {
		if n := len(r.Torture.Failures()); n > 0 {
			r.Problems = append(r.Problems, fmt.Sprintf("%d torture results differ from the %q expectations", n, r.Profile.Torture.Expectations))
		}
		if err := r.Torture.Alive(); err != nil {
			r.Problems = append(r.Problems, "after the torture messages: "+err.Error())
		}
	}
}

// OK reports whether the target answered, every selected scenario passed
// (the must-run ones included) and the torture messages, if sent, got the
// expected answers.
func (r *Report) OK() bool { return len(r.Problems) == 0 && r.Features.OK() && r.Features.Passed > 0 }

// notRun reports whether nothing could run (the probe got no answer).
func (r *Report) notRun() bool { return errors.Is(r.Probe.Err, ErrNoAnswer) }

// WriteText writes a summary: the probe, the counts, the failures, what
// was left out and why, the torture summary, the verdict.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "pbxlab conform: %s (%s, profile %s) at %s over %s\n", r.Profile.Name, r.Profile.Kind, r.Profile.File, r.Target, r.Transport)
	fmt.Fprintf(&b, "  probe      %s\n", r.Probe)
	fmt.Fprintf(&b, "  selection  %d scenarios (%d must-run), %d left out; tag expression: %s\n",
		len(r.Plan.Selected), len(r.Plan.MustRun), len(r.Plan.Excluded), r.Plan.Expr)
	for _, m := range r.Plan.AddedBack {
		fmt.Fprintf(&b, "  must-run   %s: not selected by --tags %s, runs all the same\n", m.ID(), r.Tags)
	}
	res := r.Features
	if r.notRun() {
		fmt.Fprintf(&b, "  scenarios  NOTHING COULD RUN: %d scenarios not run\n", len(r.Plan.Selected))
	} else {
		fmt.Fprintf(&b, "  scenarios  %d: %d passed, %d failed, %d skipped (concurrency %d, %s)\n",
			res.Scenarios, res.Passed, res.Failed, res.Skipped, r.Concurrency, r.Wall.Round(time.Millisecond))
		for _, f := range res.Failures {
			fmt.Fprintf(&b, "  FAILED     %s\n", f)
		}
	}
	for _, e := range r.Plan.Excluded {
		fmt.Fprintf(&b, "  left out   %s: %s\n", e.Scenario.ID(), e.Reason)
	}
	if t := r.Torture; t != nil {
		fmt.Fprintf(&b, "  torture    %d results against the %q table: %d failed, %d expected answers deviate from the RFC\n",
			len(t.Results), r.Profile.Torture.Expectations, len(t.Failures()), len(t.Deviations()))
		for _, f := range t.Failures() {
			fmt.Fprintf(&b, "  TORTURE    %s/%s over %s: %s\n", f.Corpus, f.Name, f.Transport, f.Problem)
		}
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "  PROBLEM    %s\n", p)
	}
	if r.OK() {
		b.WriteString("conform: PASS\n")
	} else {
		b.WriteString("conform: FAIL\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write conform summary: %w", err)
	}
	return nil
}

// WriteHTML writes the HTML report to path: the run's facts, one row per
// scenario (failed first, then not run, passed, left out), the torture
// table when sent.
func (r *Report) WriteHTML(path string) error {
	meta := []report.KV{
		{Key: "target", Value: fmt.Sprintf("%s (%s) over %s", r.Target, r.Addr, r.Transport)},
		{Key: "profile", Value: fmt.Sprintf("%s: %s, kind %s", r.Profile.File, r.Profile.Name, r.Profile.Kind)},
		{Key: "capabilities", Value: strings.Join(r.Profile.Capabilities, ", ")},
		{Key: "probe", Value: r.Probe.String()},
		{Key: "tag expression", Value: r.Plan.Expr},
		{Key: "started", Value: r.Start.UTC().Format(time.RFC3339)},
		{Key: "wall time", Value: fmt.Sprintf("%s, %d scenarios at once", r.Wall.Round(time.Millisecond), r.Concurrency)},
	}
	var notes []string
	if r.notRun() {
		notes = append(notes, fmt.Sprintf("Nothing could run: %s. The %d selected scenarios below are marked not run.", r.Probe.Err, len(r.Plan.Selected)))
	} else if r.Probe.Err != nil {
		notes = append(notes, fmt.Sprintf("The target's answer to OPTIONS is not SIP (%s): the scenarios below ran and fail with what they saw.", r.Probe.Err))
	}
	for _, p := range r.Problems {
		if r.Probe.Err == nil || p != r.Probe.Err.Error() {
			notes = append(notes, p)
		}
	}
	if n := len(r.Plan.AddedBack); n > 0 {
		notes = append(notes, fmt.Sprintf("--tags %s left out %d must-run scenarios of a %s target: they ran all the same (marked must-run).", r.Tags, n, r.Profile.Kind))
	}
	names := map[netip.AddrPort]string{}
	if r.Addr.IsValid() {
		names[r.Addr] = "target (" + r.Profile.Name + ")"
	}
	doc := r.Features.Report(features.ReportOptions{
		Title: "pbxlab conform: " + r.Profile.Name, Meta: meta, Notes: notes, Dir: filepath.Dir(path), Names: names,
	})
	for i := range doc.Scenarios {
		s := &doc.Scenarios[i]
		if r.notRun() {
			s.Status, s.Error = report.StatusNotRun, r.Probe.Err.Error()
		}
		if r.Plan.IsMustRun(s.URI + " / " + s.Name) {
			s.Tags = append(s.Tags, "(must-run)")
		}
	}
	for _, e := range r.Plan.Excluded {
		doc.Scenarios = append(doc.Scenarios, report.Scenario{
			Feature: e.Scenario.Feature, Name: e.Scenario.Name, URI: e.Scenario.URI, Line: e.Scenario.Line,
			Tags: e.Scenario.Tags, Status: report.StatusSkipped, Error: "left out: " + e.Reason, LadderNote: "not run",
		})
	}
	if t := r.Torture; t != nil {
		doc.Torture = tortureTable(t, r.Profile.Torture.Expectations)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	werr := report.WriteHTML(f, doc)
	if cerr := f.Close(); werr == nil && cerr != nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("write report %s: %w", path, werr)
	}
	return nil
}

func tortureTable(t *conformance.Report, table string) *report.Torture {
	out := &report.Torture{Summary: fmt.Sprintf("%d results judged against the %q table: %d failed, %d expected answers deviate from the RFC (explained in the tooltip); %s",
		len(t.Results), table, len(t.Failures()), len(t.Deviations()), aliveText(t))}
	for _, res := range t.Results {
		why := res.Expected.Reason
		if res.Expected.Deviation != "" {
			why += " — " + res.Expected.Deviation
		}
		out.Rows = append(out.Rows, report.TortureRow{
			Message: res.Corpus + "/" + res.Name, Transport: res.Transport, RFC: res.RFC.String(),
			Expected: res.Expected.String(), Deviates: res.Expected.Deviation != "", Got: res.Outcome.Summary(),
			Problem: res.Problem, Pass: res.Pass(), Why: why,
		})
	}
	return out
}

func aliveText(t *conformance.Report) string {
	if err := t.Alive(); err != nil {
		return "the target does NOT answer OPTIONS afterwards: " + err.Error()
	}
	return "the target still answers OPTIONS afterwards"
}
