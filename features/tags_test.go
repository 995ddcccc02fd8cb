package features

import (
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"
)

// documentedTags reads the tag tables of README.md: every row whose first
// cell is a code-quoted tag. NNNN in a tag stands for digits, NAME for a
// lower-case name.
func documentedTags(t *testing.T) []*regexp.Regexp {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\| `(@[^`]+)` \\|")
	var out []*regexp.Regexp
	for _, line := range strings.Split(string(b), "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		pat := regexp.QuoteMeta(m[1])
		pat = strings.ReplaceAll(pat, "NNNN", `[0-9]+`)
		pat = strings.ReplaceAll(pat, "NAME", `[a-z0-9]+(-[a-z0-9]+)*`)
		out = append(out, regexp.MustCompile("^"+pat+"$"))
	}
	if len(out) < 10 {
		t.Fatalf("README.md documents only %d tags", len(out))
	}
	return out
}

// scenario is one scenario with the tags it has (its own and its feature's).
type scenario struct {
	uri, name string
	tags      []string
}

// scenarios returns every scenario of the feature files under dirs of
// fsys, @wip included.
func scenarios(t *testing.T, fsys fs.FS, dirs []string) []scenario {
	t.Helper()
	suite, _, err := newSuite(t.Context(), Options{Target: &InProcess{}}, fsys, dirs)
	if err != nil {
		t.Fatal(err)
	}
	suite.Options.Tags = ""
	feats, err := suite.RetrieveFeatures()
	if err != nil {
		t.Fatal(err)
	}
	var out []scenario
	for _, f := range feats {
		for _, p := range f.Pickles {
			sc := scenario{uri: p.Uri, name: p.Name}
			for _, tag := range p.Tags {
				sc.tags = append(sc.tags, tag.Name)
			}
			out = append(out, sc)
		}
	}
	return out
}

// TestEveryTagIsDocumented: a tag used in any feature file (the suite's
// and the test fixtures') is in README.md's tables.
func TestEveryTagIsDocumented(t *testing.T) {
	documented := documentedTags(t)
	all := append(scenarios(t, files, dirs()), scenarios(t, os.DirFS("testdata"), []string{"unchecked"})...)
	seen := map[string]bool{}
	for _, sc := range all {
		for _, tag := range sc.tags {
			if seen[tag] {
				continue
			}
			seen[tag] = true
			ok := false
			for _, re := range documented {
				ok = ok || re.MatchString(tag)
			}
			if !ok {
				t.Errorf("%s (%s / %s) is not documented in features/README.md", tag, sc.uri, sc.name)
			}
		}
	}
	if len(seen) < 10 {
		t.Errorf("only %d distinct tags found: %v", len(seen), seen)
	}
}

// TestEveryScenarioNamesItsCapabilities: each scenario of the suite says
// what the target must be able to do (@cap-…), so a run against a target
// without that capability can leave it out.
func TestEveryScenarioNamesItsCapabilities(t *testing.T) {
	n := 0
	for _, sc := range scenarios(t, files, dirs()) {
		n++
		caps := 0
		for _, tag := range sc.tags {
			if strings.HasPrefix(tag, "@cap-") {
				caps++
			}
		}
		if caps == 0 {
			t.Errorf("%s / %s has no @cap- tag", sc.uri, sc.name)
		}
	}
	if n < 20 {
		t.Errorf("only %d scenarios found", n)
	}
}

// TestTagSchemeChecksBite: the README patterns accept the documented
// families and nothing else.
func TestTagSchemeChecksBite(t *testing.T) {
	documented := documentedTags(t)
	for _, bad := range []string{"@cap-teleport", "@rfc", "@manaul", "@cap-service-"} {
		for _, re := range documented {
			if re.MatchString(bad) {
				t.Errorf("%s passes as documented (%s)", bad, re)
			}
		}
	}
	for _, good := range []string{"@rfc3261", "@cap-service-call-waiting", "@cap-service-forwarding", "@cap-service-dnd", "@cap-service-hunt", "@cap-service-pickup", "@cap-nat", "@manual",
		"@cap-service-hotline",
		"@cap-service-secretary",
		"@cap-service-presence",
		"@cap-service-callerid",
		"@cap-service-three-party",
		"@cap-service-hold",
		"@cap-service-intervention",
		"@cap-service-password",
	} {
		ok := false
		for _, re := range documented {
			ok = ok || re.MatchString(good)
		}
		if !ok {
			t.Errorf("%s is not recognised as documented", good)
		}
	}
}
