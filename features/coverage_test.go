package features

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

// TestCoverageTableIsCurrent: the README's coverage table is the one the
// feature files (their "# Service:" headers and scenarios) and the
// committed results summary give, and the summary names only scenarios
// that exist (scripts/coverage-table.sh regenerates both).
func TestCoverageTableIsCurrent(t *testing.T) {
	cov, err := SuiteCoverage()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("coverage.json")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := ParseCoverageSummary(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := cov.Summarise(sum.Source, sum.Scenarios).Marshal(); string(got) != string(raw) {
		t.Error("coverage.json names scenarios that are not (or no longer) in a covered feature file, or is not in its canonical form: run scripts/coverage-table.sh --no-run")
	}
	table, err := cov.Table(sum)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	updated, err := UpdateCoverage(readme, table)
	if err != nil {
		t.Fatal(err)
	}
	if string(updated) != string(readme) {
		t.Errorf("README.md's coverage table is not the one the feature files and coverage.json give: run scripts/coverage-table.sh --no-run (or with a suite run). Want:\n%s", table)
	}
	for _, spec := range CoverageServices() {
		if !strings.Contains(table, "(`"+spec.Key+"`)") {
			t.Errorf("no row for %s", spec.Key)
		}
	}
}

const coverageFeature = `# Service: alpha | Manual ch. 9
# Service: beta | - | ^b
@cap-calls @manual
Feature: F
  Scenario: a one
    Given x
  Scenario: b two
    Given x
  Scenario Outline: b <n>
    Given x
    Examples:
      | n |
      | 1 |
      | 2 |
`

// TestCoverageTable: counts per service (filters, outlines expanded),
// statuses from a cucumber report, missing services, the chapter rules.
func TestCoverageTable(t *testing.T) {
	fsys := fstest.MapFS{
		"d/f.feature": {Data: []byte(coverageFeature)},
		"d/g.feature": {Data: []byte("# Service: pickup\n@cap-calls @manual\nFeature: G\n  Scenario: p\n    Given x\n")},
		"d/h.feature": {Data: []byte("# no header\n@cap-calls @manual\nFeature: H\n  Scenario: h\n    Given x\n")},
	}
	cov, err := readCoverage(fsys, []string{"d"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cov.Covered()); n != 5 {
		t.Errorf("covered: %d scenarios, want 5", n)
	}
	cuke := `[{"uri":"d/f.feature","elements":[
		{"name":"a one","type":"scenario","steps":[{"result":{"status":"passed"}}]},
		{"name":"b two","type":"scenario","steps":[{"result":{"status":"passed"}}]},
		{"name":"b 1","type":"scenario","steps":[{"result":{"status":"failed"}}]}]},
	 {"uri":"d/g.feature","elements":[{"name":"p","type":"scenario","steps":[{"result":{"status":"passed"}}]}]},
	 {"uri":"d/h.feature","elements":[{"name":"h","type":"scenario","steps":[{"result":{"status":"passed"}}]}]}]`
	out, err := ParseCucumber([]byte(cuke))
	if err != nil {
		t.Fatal(err)
	}
	sum := cov.Summarise("test", out)
	if len(sum.Scenarios) != 4 {
		t.Errorf("summary keeps %d scenarios, want the 4 covered that ran: %+v", len(sum.Scenarios), sum.Scenarios)
	}
	back, err := ParseCoverageSummary(sum.Marshal())
	if err != nil || len(back.Scenarios) != 4 || back.Source != "test" {
		t.Errorf("summary round trip: %v %+v", err, back)
	}
	table, err := cov.Table(sum)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| alpha (`alpha`) | Manual ch. 9 | `d/f.feature` | 4 | partial (2/4 passed, 1 failed) |",
		"| beta (`beta`) | unread chapter (project default) | `d/f.feature` | 3 | partial (1/3 passed, 1 failed) |",
		"| Call pickup (`pickup`) | Call Services ch. 16 | `d/g.feature` | 1 | passed (1/1) |",
		"| Call hold (`hold`) | unread chapter (project default) | – | 0 | **missing** |",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	// a header contradicting the digest's chapter is an error
	fsys["d/g.feature"] = &fstest.MapFile{Data: []byte("# Service: pickup | Call Services ch. 17\n@cap-calls @manual\nFeature: G\n  Scenario: p\n    Given x\n")}
	if cov, err = readCoverage(fsys, []string{"d"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cov.Table(sum); !errors.Is(err, ErrCoverage) {
		t.Errorf("contradicting chapter: %v", err)
	}
	doc := []byte("intro\n" + CoverageBegin + "\nold\n" + CoverageEnd + "\nrest\n")
	if up, err := UpdateCoverage(doc, "NEW\n"); err != nil || string(up) != "intro\n"+CoverageBegin+"\nNEW\n"+CoverageEnd+"\nrest\n" {
		t.Errorf("UpdateCoverage: %v\n%s", err, up)
	}
	if _, err := UpdateCoverage([]byte("none"), "x"); !errors.Is(err, ErrCoverage) {
		t.Errorf("no markers: %v", err)
	}
}

func TestCoverageStatuses(t *testing.T) {
	for _, c := range []struct {
		has               bool
		n, passed, failed int
		want              string
	}{
		{false, 0, 0, 0, "**missing**"},
		{true, 2, 2, 0, "passed (2/2)"},
		{true, 2, 0, 2, "**failed** (0/2 passed)"},
		{true, 2, 0, 0, "not run"},
		{true, 0, 0, 0, "not run"},
		{true, 3, 1, 0, "partial (1/3 passed, 0 failed)"},
	} {
		if got := coverageStatus(c.has, c.n, c.passed, c.failed); got != c.want {
			t.Errorf("coverageStatus(%v, %d, %d, %d) = %q, want %q", c.has, c.n, c.passed, c.failed, got, c.want)
		}
	}
}

func TestParseServiceHeadersRejects(t *testing.T) {
	for _, bad := range []string{
		"# Service: Bad Key\nFeature: x\n",
		"# Service: a | b | (\nFeature: x\n",
	} {
		if _, err := ParseServiceHeaders("x.feature", []byte(bad)); !errors.Is(err, ErrCoverage) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	hs, err := ParseServiceHeaders("x.feature", []byte("# Service: a\nFeature: x\n# Service: after\n"))
	if err != nil || len(hs) != 1 || hs[0].Key != "a" || hs[0].Line != 1 {
		t.Errorf("headers after Feature: count: %v %+v", err, hs)
	}
	if _, err := ParseCucumber([]byte(`[{"elements":[]}]`)); !errors.Is(err, ErrCoverage) {
		t.Errorf("feature without uri: %v", err)
	}
	if _, err := ParseCoverageSummary([]byte(`{"source":"","scenarios":[{"id":"x","status":"maybe"}]}`)); !errors.Is(err, ErrCoverage) {
		t.Errorf("bad status: %v", err)
	}
}

// FuzzCoverageInputs: the header, cucumber and summary readers take any
// bytes (a user's files) without panicking, and a summary they accept
// survives its own round trip.
func FuzzCoverageInputs(f *testing.F) {
	f.Add([]byte(coverageFeature))
	f.Add([]byte(`[{"uri":"a","elements":[{"name":"n","steps":[{"result":{"status":"passed"}}]}]}]`))
	f.Add([]byte(`{"source":"s","scenarios":[{"id":"a / b","status":"passed"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseServiceHeaders("f.feature", b)
		_, _ = ParseCucumber(b)
		s, err := ParseCoverageSummary(b)
		if err != nil {
			return
		}
		back, err := ParseCoverageSummary(s.Marshal())
		if err != nil || len(back.Scenarios) != len(s.Scenarios) {
			t.Errorf("round trip of %q: %v", b, err)
		}
	})
}
