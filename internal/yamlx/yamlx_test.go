package yamlx

import (
	"errors"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		kind     yaml.Kind
		nilRoot  bool
		err      bool
	}{
		{"empty", "", 0, true, false},
		{"mapping", "a: 1\n", yaml.MappingNode, false, false},
		{"list", "- 1\n", yaml.SequenceNode, false, false},
		{"two documents", "a: 1\n---\nb: 2\n", 0, true, true},
		{"syntax", "a: [1\n", 0, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Parse([]byte(tc.in))
			if (err != nil) != tc.err || (n == nil) != tc.nilRoot || (n != nil && n.Kind != tc.kind) {
				t.Fatalf("Parse(%q) = %v, %v", tc.in, n, err)
			}
		})
	}
}

func TestSyntaxError(t *testing.T) {
	if line, msg := SyntaxError(errors.New("yaml: line 3: did not find expected key")); line != 3 || msg != "did not find expected key" {
		t.Errorf("got %d %q", line, msg)
	}
	if line, msg := SyntaxError(errors.New("yaml: unknown anchor")); line != 0 || msg != "unknown anchor" {
		t.Errorf("got %d %q", line, msg)
	}
}

func TestDescribeSuggestJoin(t *testing.T) {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("a: true\nb: 1.5\nc: ~\nd: [1]\n"), &n); err != nil {
		t.Fatal(err)
	}
	m := n.Content[0].Content
	for i, want := range []string{`a boolean "true"`, `a number "1.5"`, "nothing", "a list"} {
		if got := Describe(m[2*i+1]); got != want {
			t.Errorf("Describe #%d = %q, want %q", i, got, want)
		}
	}
	cands := []string{"listen", "user_agent", "t1"}
	for name, want := range map[string]string{"lisen": "listen", "user": "user_agent", "xyz": "", "LISTEN": "listen"} {
		if got := Suggest(name, cands); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", name, got, want)
		}
	}
	if Join("", "sip") != "sip" || Join("sip", "t1") != "sip.t1" {
		t.Error("Join")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("a: 1\n"))
	f.Add([]byte("- &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Parse(data) // never panics
	})
}
