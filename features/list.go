package features

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/cucumber/godog"
)

// Scenario is one scenario of the feature files.
type Scenario struct {
	// URI is the feature file's path inside the suite, e.g.
	// "calls/basic.feature".
	URI string
	// Feature is the name on the file's Feature: line.
	Feature string
	// Name is the scenario's name.
	Name string
	// Line is the line of its Scenario: keyword.
	Line int
	// Tags are its tags and its feature's, with the "@".
	Tags []string
}

// ID names the scenario in a run: "<URI> / <Name>", as Result.Failures
// and the conformance must-run lists do.
func (s Scenario) ID() string { return s.URI + " / " + s.Name }

// HasTag reports whether the scenario carries tag ("@cap-calls").
func (s Scenario) HasTag(tag string) bool { return slices.Contains(s.Tags, tag) }

// Capabilities returns the capability tags the scenario needs, without
// "@cap-": "registrar", "calls", ...
func (s Scenario) Capabilities() []string {
	var out []string
	for _, t := range s.Tags {
		if c, ok := strings.CutPrefix(t, "@cap-"); ok {
			out = append(out, c)
		}
	}
	return out
}

// List returns the embedded scenarios that the godog tag expression tags
// selects ("" selects every scenario, @wip included), in file order.
func List(tags string) ([]Scenario, error) {
	return listScenarios(files, dirs(), tags)
}

func listScenarios(fsys fs.FS, paths []string, tags string) ([]Scenario, error) {
	if err := ValidateTags(tags); err != nil {
		return nil, fmt.Errorf("list scenarios: %w", err)
	}
	suite := godog.TestSuite{Options: &godog.Options{FS: fsys, Paths: paths, Tags: tags, Strict: true}}
	feats, err := suite.RetrieveFeatures()
	if err != nil {
		return nil, fmt.Errorf("list scenarios: %w", err)
	}
	var out []Scenario
	for _, f := range feats {
		name := ""
		if f.GherkinDocument != nil && f.GherkinDocument.Feature != nil {
			name = f.GherkinDocument.Feature.Name
		}
		for _, p := range f.Pickles {
			sc := Scenario{URI: p.Uri, Feature: name, Name: p.Name}
			if len(p.AstNodeIds) > 0 {
				if s := f.FindScenario(p.AstNodeIds[0]); s != nil && s.Location != nil {
					sc.Line = int(s.Location.Line)
				}
			}
			for _, t := range p.Tags {
				sc.Tags = append(sc.Tags, t.Name)
			}
			out = append(out, sc)
		}
	}
	return out, nil
}

// ValidateTags checks a godog tag expression: clauses separated by ","
// (or), each a conjunction of terms separated by "&&", each term a tag
// ("@name") or a negated tag ("~@name"). godog itself panics on an empty
// term ("@a && ").
func ValidateTags(expr string) error {
	if strings.TrimSpace(expr) == "" {
		return nil
	}
	for _, clause := range strings.Split(expr, ",") {
		for _, term := range strings.Split(clause, "&&") {
			term = strings.TrimSpace(term)
			tag := strings.TrimPrefix(term, "~")
			if !strings.HasPrefix(tag, "@") || len(tag) == 1 || !validTagName(tag[1:]) {
				return fmt.Errorf("%w: tag expression %q: bad term %q (want @tag or ~@tag, joined by && and ,)", ErrOptions, expr, term)
			}
		}
	}
	return nil
}

func validTagName(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:", r)) {
			return false
		}
	}
	return true
}

// Clauses splits a valid tag expression into its or-clauses, each a list
// of terms ("@a", "~@b"); "" gives none.
func Clauses(expr string) [][]string {
	if strings.TrimSpace(expr) == "" {
		return nil
	}
	var out [][]string
	for _, clause := range strings.Split(expr, ",") {
		var terms []string
		for _, term := range strings.Split(clause, "&&") {
			terms = append(terms, strings.TrimSpace(term))
		}
		out = append(out, terms)
	}
	return out
}

// JoinClauses is the inverse of Clauses.
func JoinClauses(clauses [][]string) string {
	parts := make([]string, len(clauses))
	for i, c := range clauses {
		parts[i] = strings.Join(c, " && ")
	}
	return strings.Join(parts, ", ")
}
