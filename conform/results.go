package conform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"pbxlab/features"
)

// Statuses of a scenario in Results.
const (
	ResultPassed = "passed"
	ResultFailed = "failed"
	// ResultNotRun: selected, but it did not run (the target did not
	// answer, or the run was cut short).
	ResultNotRun = "not run"
	// ResultNA: left out by the profile or the tags (Reason says why).
	ResultNA = "n/a"
)

// Results is the stable summary of a run: every scenario of the suite
// with its status against the target, no times, no addresses. It is what
// the README's table is generated from (conform/results/*.json), and what
// the tests compare a fresh run with.
type Results struct {
	// Target is the profile's name.
	Target       string   `json:"target"`
	Kind         string   `json:"kind"`
	Profile      string   `json:"profile"`
	Transport    string   `json:"transport"`
	Capabilities []string `json:"capabilities"`
	// Scenarios are every scenario of the suite, in file order.
	Scenarios []ScenarioOutcome `json:"scenarios"`
	// Torture summarises the torture messages when they were sent.
	Torture *TortureSummary `json:"torture,omitempty"`
}

// ScenarioOutcome is one scenario's status against the target.
type ScenarioOutcome struct {
	ID       string `json:"id"`
	Feature  string `json:"feature"`
	Scenario string `json:"scenario"`
	MustRun  bool   `json:"must_run,omitempty"`
	// Status is ResultPassed, ResultFailed, ResultNotRun or ResultNA.
	Status string `json:"status"`
	// Reason says why a scenario is n/a or did not run.
	Reason string `json:"reason,omitempty"`
}

// TortureSummary counts the torture results.
type TortureSummary struct {
	Table   string   `json:"table"`
	Results int      `json:"results"`
	Failed  []string `json:"failed,omitempty"` // "corpus/name/transport"
}

// Results summarises the report.
func (r *Report) Results() Results {
	out := Results{
		Target: r.Profile.Name, Kind: r.Profile.Kind, Profile: filepath.ToSlash(r.Profile.File),
		Transport: r.Transport, Capabilities: r.Profile.Capabilities,
	}
	ran := map[string]features.ScenarioResult{}
	for _, d := range r.Features.Details {
		ran[d.ID()] = d
	}
	excluded := map[string]string{}
	for _, e := range r.Plan.Excluded {
		excluded[e.Scenario.ID()] = e.Reason
	}
	all := append(append([]features.Scenario(nil), r.Plan.Selected...), excludedScenarios(r.Plan)...)
	sortScenarios(all)
	for _, s := range all {
		o := ScenarioOutcome{ID: s.ID(), Feature: s.Feature, Scenario: s.Name, MustRun: r.Plan.IsMustRun(s.ID())}
		d, didRun := ran[s.ID()]
		switch why, left := excluded[s.ID()]; {
		case left:
			o.Status, o.Reason = ResultNA, why
		case r.notRun():
			o.Status, o.Reason = ResultNotRun, "the target did not answer"
		case !didRun:
			o.Status, o.Reason = ResultNotRun, "selected, but the run ended before it"
		case d.Status == features.StatusSkipped:
			o.Status, o.Reason = ResultNotRun, d.Error
		case d.Status == features.StatusPassed:
			o.Status = ResultPassed
		default:
			o.Status = ResultFailed
		}
		out.Scenarios = append(out.Scenarios, o)
	}
	if t := r.Torture; t != nil {
		ts := &TortureSummary{Table: r.Profile.Torture.Expectations, Results: len(t.Results)}
		for _, f := range t.Failures() {
			ts.Failed = append(ts.Failed, f.Corpus+"/"+f.Name+"/"+f.Transport)
		}
		out.Torture = ts
	}
	return out
}

func excludedScenarios(p Plan) []features.Scenario {
	out := make([]features.Scenario, 0, len(p.Excluded))
	for _, e := range p.Excluded {
		out = append(out, e.Scenario)
	}
	return out
}

// sortScenarios orders scenarios as the feature files do (the suite's
// directories, then files, then lines).
func sortScenarios(s []features.Scenario) {
	rank := map[string]int{}
	if all, err := features.List(""); err == nil {
		for i, sc := range all {
			rank[sc.ID()] = i
		}
	}
	for i := 1; i < len(s); i++ { // insertion sort: stable and small
		for j := i; j > 0 && rank[s[j].ID()] < rank[s[j-1].ID()]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Counts returns how many scenarios passed and how many ran (passed or
// failed or not run).
func (r Results) Counts() (passed, ran int) {
	for _, s := range r.Scenarios {
		switch s.Status {
		case ResultPassed:
			passed++
			ran++
		case ResultFailed, ResultNotRun:
			ran++
		}
	}
	return passed, ran
}

// WriteFile writes the results as indented JSON.
func (r Results) WriteFile(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("write results %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write results %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write results %s: %w", path, err)
	}
	return nil
}

// ReadResults reads a results file (see ParseResults).
func ReadResults(path string) (Results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Results{}, fmt.Errorf("read results %s: %w", path, err)
	}
	r, err := ParseResults(b)
	if err != nil {
		return Results{}, fmt.Errorf("read results %s: %w", path, err)
	}
	return r, nil
}

// ParseResults decodes results strictly: unknown fields, trailing data or
// a scenario without an id or a known status are errors.
func ParseResults(b []byte) (Results, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r Results
	if err := dec.Decode(&r); err != nil {
		return Results{}, fmt.Errorf("parse results: %w", err)
	}
	if dec.More() {
		return Results{}, fmt.Errorf("parse results: %w: data after the object", ErrResults)
	}
	for i, s := range r.Scenarios {
		switch {
		case s.ID == "":
			return Results{}, fmt.Errorf("parse results: %w: scenario %d has no id", ErrResults, i)
		case s.Status != ResultPassed && s.Status != ResultFailed && s.Status != ResultNotRun && s.Status != ResultNA:
			return Results{}, fmt.Errorf("parse results: %w: scenario %q: status %q", ErrResults, s.ID, s.Status)
		}
	}
	return r, nil
}

// Markers delimit the generated table in a README.
const (
	TableBegin = "<!-- conform-table:begin (generated by scripts/conform-table.sh from conform/results/*.json; do not edit) -->"
	TableEnd   = "<!-- conform-table:end -->"
)

// Table renders results side by side as a Markdown table: one row per
// scenario (★ marks a must-run scenario of that target's kind), one column
// per target, and a last row with the counts.
func Table(results ...Results) string {
	var b strings.Builder
	b.WriteString("| feature / scenario |")
	for _, r := range results {
		fmt.Fprintf(&b, " %s (`%s`, %s) |", escapeCell(r.Target), escapeCell(r.Kind), escapeCell(r.Transport))
	}
	b.WriteString("\n|---|")
	for range results {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	var ids []string
	idx := map[string]int{}
	names := map[string]string{}
	for _, r := range results {
		for _, s := range r.Scenarios {
			if _, ok := idx[s.ID]; !ok {
				idx[s.ID] = len(ids)
				ids = append(ids, s.ID)
				names[s.ID] = s.Feature + " / " + s.Scenario
			}
		}
	}
	for _, id := range ids {
		fmt.Fprintf(&b, "| %s |", escapeCell(names[id]))
		for _, r := range results {
			b.WriteString(" " + cell(r, id) + " |")
		}
		b.WriteString("\n")
	}
	b.WriteString("| **passed / run** |")
	for _, r := range results {
		p, n := r.Counts()
		fmt.Fprintf(&b, " **%d / %d** |", p, n)
	}
	b.WriteString("\n")
	return b.String()
}

func cell(r Results, id string) string {
	for _, s := range r.Scenarios {
		if s.ID != id {
			continue
		}
		star := ""
		if s.MustRun {
			star = " ★"
		}
		switch s.Status {
		case ResultPassed:
			return "passed" + star
		case ResultFailed:
			return "**FAILED**" + star
		case ResultNotRun:
			return "**not run**" + star
		}
		switch {
		case strings.HasPrefix(s.Reason, "the profile does not offer "):
			caps := strings.Split(strings.TrimPrefix(s.Reason, "the profile does not offer "), ", ")
			for i, c := range caps {
				caps[i] = "`" + strings.TrimPrefix(c, "@") + "`"
			}
			return "n/a: no " + strings.Join(caps, ", ")
		case strings.Contains(s.Reason, "@in-process"):
			return "n/a: in-process only"
		case strings.Contains(s.Reason, "@wip"):
			return "n/a: `@wip`"
		}
		return "n/a"
	}
	return "–"
}

// escapeCell keeps a value inside its Markdown cell: no line break, no
// unescaped "|".
func escapeCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\r", " ", "\n", " ").Replace(s)
}

// UpdateREADME replaces what lies between TableBegin and TableEnd in
// readme with table.
func UpdateREADME(readme []byte, table string) ([]byte, error) {
	s := string(readme)
	i := strings.Index(s, TableBegin)
	j := strings.Index(s, TableEnd)
	if i < 0 || j < i {
		return nil, fmt.Errorf("update readme: %w", ErrNoMarkers)
	}
	return []byte(s[:i+len(TableBegin)] + "\n" + table + s[j:]), nil
}
