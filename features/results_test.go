package features

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestResultDetails: the unchecked-call fixture's one scenario is
// recorded with its feature, tags, every step's status, the error and
// its captures; several formatters write their files in the same run.
func TestResultDetails(t *testing.T) {
	checkNoLeaks(t)
	dir := t.TempDir()
	junit, cuke := filepath.Join(dir, "reports", "r.xml"), filepath.Join(dir, "reports", "r.json") // the directory is made
	suite, rec, err := newSuite(t.Context(), Options{
		Target: &InProcess{}, Output: dir,
		Format: "progress,junit:" + junit + ",cucumber:" + cuke,
	}, os.DirFS("testdata"), []string{"unchecked"})
	if err != nil {
		t.Fatal(err)
	}
	suite.Run()
	res := rec.result()
	if len(res.Details) != 1 {
		t.Fatalf("details: %+v", res.Details)
	}
	d := res.Details[0]
	if d.Status != StatusFailed || d.Feature != "Unchecked call" || d.Line != 4 || d.URI != "unchecked/unchecked.feature" {
		t.Errorf("scenario: %+v", d.Scenario)
	}
	if !strings.Contains(d.Error, "call outcome not asserted") || d.Duration <= 0 || d.Start.IsZero() {
		t.Errorf("error %q, duration %s, start %s", d.Error, d.Duration, d.Start)
	}
	var kinds, statuses []string
	for _, s := range d.Steps {
		kinds = append(kinds, s.Keyword)
		statuses = append(statuses, s.Status)
	}
	if got := strings.Join(kinds, " "); got != "Given Given When Then" {
		t.Errorf("keywords %q", got)
	}
	// the after-scenario hook fails the scenario, not a step
	if got := strings.Join(statuses, " "); got != "passed passed passed passed" {
		t.Errorf("step statuses %q", got)
	}
	if len(d.Captures) != 2 || !strings.HasSuffix(d.Captures[0], ".pcapng") || !strings.HasSuffix(d.Captures[1], ".pbx.pcapng") {
		t.Errorf("captures %q", d.Captures)
	}
	for _, c := range d.Captures {
		if st, err := os.Stat(c); err != nil || st.Size() == 0 {
			t.Errorf("capture %s: %v", c, err)
		}
	}
	page := filepath.Join(dir, "report.html")
	if err := res.WriteHTML(page, ReportOptions{Title: "unchecked"}); err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", ">INVITE</text>", "180 Ringing (INVITE)", `href="` + filepath.Base(d.Captures[0]) + `"`, "call outcome not asserted", "[passed] Then 1002 rings"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(b, &suites); err != nil || suites.Failures != 1 {
		t.Errorf("junit: %v, failures %d\n%s", err, suites.Failures, b)
	}
	b, err = os.ReadFile(cuke)
	if err != nil {
		t.Fatal(err)
	}
	var feats []struct {
		Name     string `json:"name"`
		Elements []struct {
			Steps []struct{} `json:"steps"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(b, &feats); err != nil || len(feats) != 1 || len(feats[0].Elements) != 1 || len(feats[0].Elements[0].Steps) != 4 {
		t.Errorf("cucumber: %v %+v\n%s", err, feats, b)
	}
}

// TestScenarioDeadline: a scenario that waits longer than its deadline
// fails soon after the deadline, saying so, and the steps after it are
// skipped.
func TestScenarioDeadline(t *testing.T) {
	checkNoLeaks(t)
	suite, rec, err := newSuite(t.Context(), Options{Target: &InProcess{}, ScenarioTimeout: 500 * time.Millisecond},
		os.DirFS("testdata"), []string{"deadline"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	suite.Run()
	res := rec.result()
	if len(res.Details) != 1 || res.Failed != 1 {
		t.Fatalf("result: %+v", res)
	}
	d := res.Details[0]
	if !strings.Contains(d.Error, "deadline (500ms) passed") {
		t.Errorf("error %q does not name the deadline", d.Error)
	}
	if d.Steps[0].Status != "failed" || d.Steps[1].Status != "skipped" {
		t.Errorf("steps: %+v", d.Steps)
	}
	if took := time.Since(start); took > 5*time.Minute {
		t.Errorf("the deadline did not end the scenario (took %s)", took)
	}
}

func TestValidateTagsAndFormat(t *testing.T) {
	for _, ok := range []string{"", "@a", "~@wip", "@a && ~@b, @c", " @cap-calls&&~@in-process "} {
		if err := ValidateTags(ok); err != nil {
			t.Errorf("ValidateTags(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"@a &&", ",", "a", "@", "~", "@a && @b c", "(@a)", "@a || @b"} {
		if err := ValidateTags(bad); !errors.Is(err, ErrOptions) {
			t.Errorf("ValidateTags(%q) = %v, want ErrOptions", bad, err)
		}
	}
	for _, ok := range []string{"pretty", "pretty,junit:x.xml,cucumber:y.json", "progress"} {
		if err := ValidateFormat(ok); err != nil {
			t.Errorf("ValidateFormat(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "html", "pretty,junit:", "junit:x,nope:y"} {
		if err := ValidateFormat(bad); !errors.Is(err, ErrOptions) {
			t.Errorf("ValidateFormat(%q) = %v, want ErrOptions", bad, err)
		}
	}
	if got := JoinClauses(Clauses(" @a&&~@b ,@c ")); got != "@a && ~@b, @c" {
		t.Errorf("clauses round trip: %q", got)
	}
}

func TestList(t *testing.T) {
	all, err := List("")
	if err != nil {
		t.Fatal(err)
	}
	calls, err := List("@cap-calls && ~@in-process")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 20 || len(calls) == 0 || len(calls) >= len(all) {
		t.Fatalf("%d scenarios, %d with calls", len(all), len(calls))
	}
	seen := map[string]bool{}
	for _, s := range all {
		if s.Feature == "" || s.Line == 0 || len(s.Capabilities()) == 0 || seen[s.ID()] {
			t.Errorf("scenario %+v (duplicate id: %v)", s, seen[s.ID()])
		}
		seen[s.ID()] = true
	}
	for _, s := range calls {
		if !s.HasTag("@cap-calls") || s.HasTag("@in-process") {
			t.Errorf("%s selected by the filter with tags %v", s.ID(), s.Tags)
		}
	}
	if _, err := List("@a &&"); !errors.Is(err, ErrOptions) {
		t.Errorf("bad filter: %v", err)
	}
}
