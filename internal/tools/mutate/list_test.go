package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const validList = `# a comment
- id: one-edit
  issue: "breaks A"
  file: pkg/a.go
  old: |-
    return a + b
  new: |-
    return a - b
  test: {pkg: ./pkg/, run: '^TestAdd$', fails_with: 'Add\(1, 2\)'}

- id: two-edits
  issue: "breaks B"
  edits:
    - {file: pkg/a.go, old: "x := 1", new: "x := 2"}
    - file: pkg/b.go
      old: |-
        if ok {
        	return
      new: |-
        if !ok {
        	return
  tests:
    - {pkg: ./pkg/, run: '^TestB$'}
    - {pkg: ./other/, run: 'TestC/sub', env: {TAGS: '@a && ~@b'}}
  timeout: 90s
`

func TestParse(t *testing.T) {
	ms, err := Parse("mutants.yaml", []byte(validList))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 {
		t.Fatalf("%d mutants, want 2", len(ms))
	}
	a, b := ms[0], ms[1]
	if a.ID != "one-edit" || a.line != 2 || a.Timeout != DefaultTimeout {
		t.Errorf("first mutant %+v", a)
	}
	if e := a.edits(); len(e) != 1 || e[0] != (Edit{File: "pkg/a.go", Old: "return a + b", New: "return a - b"}) {
		t.Errorf("first mutant's edits %+v", e)
	}
	if r := a.runs(); len(r) != 1 || r[0].Pkg != "./pkg/" || r[0].Run != "^TestAdd$" || r[0].FailsWith != `Add\(1, 2\)` {
		t.Errorf("first mutant's runs %+v", r)
	}
	if e := b.edits(); len(e) != 2 || e[1].Old != "if ok {\n\treturn" || e[1].New != "if !ok {\n\treturn" {
		t.Errorf("second mutant's edits %q", e)
	}
	if r := b.runs(); len(r) != 2 || r[1].Env["TAGS"] != "@a && ~@b" {
		t.Errorf("second mutant's runs %+v", r)
	}
	if b.Timeout != 90*time.Second {
		t.Errorf("timeout %v", b.Timeout)
	}
	if got, want := b.runs()[1].String(), `TAGS='@a && ~@b' -run 'TestC/sub' ./other/`; got != want {
		t.Errorf("run shown as %s, want %s", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	entry := func(extra string) string {
		return "- id: m\n  issue: x\n  file: a.go\n  old: a\n  new: b\n  test: {pkg: ./p/, run: ^T$}\n" + extra
	}
	tests := []struct {
		name, list, want string
	}{
		{"unknown field", entry("  bogus: 1\n"), "mutants.yaml:7: field bogus not found"},
		{"unknown field in test", "- id: m\n  issue: x\n  file: a.go\n  old: a\n  new: b\n  test: {pkg: ./p/, run: ^T$, rn: x}\n", "mutants.yaml:6: field rn not found"},
		{"not a list", "id: m\n", "mutants.yaml:1: the list is a YAML sequence"},
		{"empty", "", "mutants.yaml:1: the list is a YAML sequence"},
		{"syntax", "- id: [\n", "mutants.yaml:"},
		{"tab first in a block", "- id: m\n  issue: x\n  file: a.go\n  old: |-\n    \tx\n  new: b\n  test: {pkg: ./p/, run: ^T$}\n", "mutants.yaml:4: found a tab character where an indentation space is expected (a block scalar"},
		{"bad id", strings.Replace(entry(""), "id: m", "id: Bad_ID", 1), "mutants.yaml:1: id \"Bad_ID\""},
		{"duplicate id", entry("") + entry(""), "mutants.yaml:7: id \"m\" already used at line 1"},
		{"no issue", strings.Replace(entry(""), "issue: x", "issue: ' '", 1), "mutants.yaml:2: issue:"},
		{"no edit", "- id: m\n  issue: x\n  test: {pkg: ./p/, run: ^T$}\n", "mutants.yaml:1: file, old and new (or edits) are required"},
		{"both edit forms", entry("  edits: [{file: a.go, old: a, new: b}]\n"), "mutants.yaml:7: give file/old/new or edits, not both"},
		{"no old", strings.Replace(entry(""), "old: a", "old: ''", 1), "mutants.yaml:3: edit 1: old is required"},
		{"old is new", strings.Replace(entry(""), "new: b", "new: a", 1), "mutants.yaml:3: edit 1: new is the same as old"},
		{"file outside", strings.Replace(entry(""), "file: a.go", "file: ../a.go", 1), "mutants.yaml:3: edit 1: file \"../a.go\""},
		{"absolute file", strings.Replace(entry(""), "file: a.go", "file: /etc/passwd", 1), "mutants.yaml:3: edit 1: file \"/etc/passwd\""},
		{"no test", "- id: m\n  issue: x\n  file: a.go\n  old: a\n  new: b\n", "mutants.yaml:1: test {pkg, run} is required"},
		{"both test forms", entry("  tests: [{pkg: ./p/, run: ^T$}]\n"), "mutants.yaml:7: give test or tests, not both"},
		{"all packages", strings.Replace(entry(""), "./p/", "./...", 1), "mutants.yaml:6: test 1: pkg \"./...\""},
		{"import path", strings.Replace(entry(""), "./p/", "pbxlab/p", 1), "mutants.yaml:6: test 1: pkg \"pbxlab/p\""},
		{"no run", strings.Replace(entry(""), "run: ^T$", "run: ''", 1), "mutants.yaml:6: test 1: run is required"},
		{"bad run", strings.Replace(entry(""), "run: ^T$", "run: '^T($'", 1), "mutants.yaml:6: test 1: run \"^T($\""},
		{"bad fails_with", strings.Replace(entry(""), "run: ^T$", "run: ^T$, fails_with: '['", 1), "mutants.yaml:6: test 1: fails_with"},
		{"bad timeout", entry("  timeout: soon\n"), "mutants.yaml:7: cannot unmarshal"},
		{"two documents", entry("---\n- id: n\n"), "mutants.yaml:7: more than one YAML document"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("mutants.yaml", []byte(tc.list))
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.list)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want it to contain %q", err, tc.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
		})
	}
}

func TestTopLevel(t *testing.T) {
	for run, want := range map[string]string{
		"^TestA$":           "^TestA$",
		"^TestA$/sub":       "^TestA$",
		"^Test(A|B/x)$":     "^Test(A|B/x)$",
		`^TestA[/]$/s`:      `^TestA[/]$`,
		`^TestA\/b/c`:       `^TestA\/b`,
		"TestFeatures$/a/b": "TestFeatures$",
	} {
		if got := topLevel(run); got != want {
			t.Errorf("topLevel(%q) = %q, want %q", run, got, want)
		}
	}
}

func TestSelectMutants(t *testing.T) {
	ms, err := Parse("mutants.yaml", []byte(validList))
	if err != nil {
		t.Fatal(err)
	}
	got, err := selectMutants(ms, []string{"two-edits"})
	if err != nil || len(got) != 1 || got[0].ID != "two-edits" {
		t.Fatalf("select two-edits: %v, %v", got, err)
	}
	if _, err := selectMutants(ms, []string{"nope"}); !errors.Is(err, ErrUnknownID) {
		t.Fatalf("select an unknown id: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(validList))
	f.Add([]byte("- id: m\n  issue: x\n  file: a.go\n  old: a\n  new: b\n  test: {pkg: ./p/, run: ^T$}\n"))
	f.Add([]byte("- &a {id: m}\n- *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := Parse("fuzz.yaml", data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		for _, m := range ms {
			if len(m.validate()) != 0 || len(m.edits()) == 0 || len(m.runs()) == 0 || m.Timeout <= 0 {
				t.Fatalf("accepted an invalid mutant %+v", m)
			}
		}
	})
}
