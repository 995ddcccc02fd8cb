package features

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"pbxlab/internal/ladder"
	"pbxlab/internal/report"
)

// ReportOptions configure Result.Report.
type ReportOptions struct {
	Title string
	// Meta are label/value rows shown under the title.
	Meta []report.KV
	// Notes are shown before the scenarios.
	Notes []string
	// Dir is the directory the report is written to: capture links are
	// made relative to it ("" leaves them as they are).
	Dir string
	// Names names ladder columns by address (e.g. the target).
	Names map[netip.AddrPort]string
}

// Report turns the result into an HTML report document: one row per
// scenario with its steps, links to its captures and the ladder diagram
// of the capture holding the most SIP messages (the phones' own, or the
// in-process PBX's view when the phones' misses TCP).
func (r Result) Report(o ReportOptions) report.Doc {
	d := report.Doc{Title: o.Title, Meta: o.Meta, Notes: o.Notes}
	if d.Title == "" {
		d.Title = "pbxlab features"
	}
	for _, s := range r.Details {
		row := report.Scenario{
			Feature: s.Feature, Name: s.Name, URI: s.URI, Line: s.Line, Tags: s.Tags,
			Status: s.Status, Error: s.Error, Duration: s.Duration,
		}
		for _, st := range s.Steps {
			row.Steps = append(row.Steps, report.Step{Keyword: st.Keyword, Text: st.Text, Status: st.Status, Error: st.Error})
		}
		for _, c := range s.Captures {
			href := c
			if o.Dir != "" {
				if rel, err := filepath.Rel(o.Dir, c); err == nil {
					href = filepath.ToSlash(rel)
				}
			}
			row.Captures = append(row.Captures, report.Link{Name: filepath.Base(c), Href: href})
		}
		row.Ladder, row.LadderNote = ladderOf(s.Captures, o.Names)
		d.Scenarios = append(d.Scenarios, row)
	}
	return d
}

// ladderOf draws the capture with the most SIP messages.
func ladderOf(captures []string, names map[netip.AddrPort]string) ([]byte, string) {
	if len(captures) == 0 {
		return nil, "no capture"
	}
	var best []ladder.Message
	var from string
	var problems []string
	for _, c := range captures {
		msgs, err := ladder.ReadFile(c)
		if err != nil {
			problems = append(problems, err.Error())
		}
		if len(msgs) > len(best) {
			best, from = msgs, c
		}
	}
	if len(best) == 0 {
		note := "no SIP message in the captures"
		if len(problems) > 0 {
			note += " (" + problems[0] + ")"
		}
		return nil, note
	}
	var opts []ladder.Option
	for a, n := range names {
		opts = append(opts, ladder.WithName(a, n))
	}
	d := ladder.New(best, opts...)
	var b bytes.Buffer
	if err := d.SVG(&b); err != nil {
		return nil, err.Error()
	}
	return b.Bytes(), fmt.Sprintf("SIP ladder: %d messages from %s", len(d.Messages), filepath.Base(from))
}

// WriteHTML writes the result's HTML report to path (see Report; o.Dir
// defaults to path's directory).
func (r Result) WriteHTML(path string, o ReportOptions) error {
	if o.Dir == "" {
		o.Dir = filepath.Dir(path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	werr := report.WriteHTML(f, r.Report(o))
	if cerr := f.Close(); werr == nil && cerr != nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("write report %s: %w", path, werr)
	}
	return nil
}
