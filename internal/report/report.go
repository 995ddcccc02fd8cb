// Package report writes the HTML report of a BDD run: one self-contained
// file (inline CSS, inline SVG, no script) with one row per scenario —
// failed scenarios first — holding its steps and their status and errors,
// links to its captures (pcapng) and its ladder diagram; optionally the
// torture-message table of a conformance run. It knows nothing of godog or
// the PBX: callers (features, conform) fill a Doc.
package report

import (
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"time"
)

// Statuses a Scenario may have, in the order the report shows them.
const (
	StatusFailed  = "failed"
	StatusNotRun  = "not run"
	StatusPassed  = "passed"
	StatusSkipped = "skipped"
)

// Doc is one report.
type Doc struct {
	Title string
	// Meta are label/value pairs shown under the title (target, profile,
	// tag expression, wall time, ...).
	Meta []KV
	// Notes are shown prominently before the scenarios (e.g. "nothing
	// could run: the target did not answer").
	Notes []string
	// Scenarios are the rows; WriteHTML orders them failed first.
	Scenarios []Scenario
	// Torture, when set, is the torture-message table.
	Torture *Torture
}

// KV is one label and its value.
type KV struct{ Key, Value string }

// Scenario is one row.
type Scenario struct {
	Feature, Name, URI string
	Line               int
	Tags               []string
	// Status is one of the Status constants.
	Status string
	// Error is why it failed, was skipped or did not run.
	Error    string
	Duration time.Duration
	Steps    []Step
	// Captures link the scenario's pcapng files.
	Captures []Link
	// Ladder is an SVG drawing (internal/ladder) of the scenario's SIP
	// messages; it is inlined as it is, so it must come from trusted
	// code; nil when there is none.
	Ladder []byte
	// LadderNote says why there is no ladder, or what it shows.
	LadderNote string
}

// Step is one step of a scenario.
type Step struct {
	Keyword, Text, Status, Error string
}

// Link is a file the report points to; Href is relative to the report.
type Link struct{ Name, Href string }

// Torture is a table of torture-message results.
type Torture struct {
	Summary string
	Rows    []TortureRow
}

// TortureRow is one message on one transport.
type TortureRow struct {
	Message, Transport, RFC, Expected, Got, Problem string
	// Deviates marks an expected answer the RFC does not give.
	Deviates bool
	Pass     bool
	// Why is the expected answer's reason (and the deviation's).
	Why string
}

//go:embed report.html.tmpl
var pageTemplate string

// page is parsed once per WriteHTML call (no package state).
func page() (*template.Template, error) {
	return template.New("report").Funcs(template.FuncMap{
		"svg": func(b []byte) template.HTML { return template.HTML(b) }, // #nosec: produced by internal/ladder, text escaped there
		"dur": func(d time.Duration) string {
			if d <= 0 {
				return ""
			}
			return d.Round(10 * time.Millisecond).String()
		},
		"cls": func(s string) string {
			switch s {
			case StatusFailed, "undefined", "ambiguous", "pending":
				return "failed"
			case StatusPassed:
				return "passed"
			case StatusNotRun, "":
				return "notrun"
			}
			return "skipped"
		},
	}).Parse(pageTemplate)
}

// Order sorts scenarios failed first, then not run, passed and skipped,
// keeping the given order within each status.
func Order(sc []Scenario) {
	rank := func(s string) int {
		switch s {
		case StatusFailed:
			return 0
		case StatusNotRun:
			return 1
		case StatusPassed:
			return 2
		}
		return 3
	}
	slices.SortStableFunc(sc, func(a, b Scenario) int { return cmp.Compare(rank(a.Status), rank(b.Status)) })
}

// Counts returns how many scenarios have each status.
func (d Doc) Counts() map[string]int {
	out := map[string]int{}
	for _, s := range d.Scenarios {
		out[s.Status]++
	}
	return out
}

// WriteHTML writes d as one HTML page.
func WriteHTML(w io.Writer, d Doc) error {
	t, err := page()
	if err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	d.Scenarios = slices.Clone(d.Scenarios)
	Order(d.Scenarios)
	data := struct {
		Doc
		Counts map[string]int
	}{d, d.Counts()}
	if err := t.Execute(w, data); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}
