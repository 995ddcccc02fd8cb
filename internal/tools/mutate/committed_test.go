package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot is the pbxlab module's root, found from the test's directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module pbxlab\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no pbxlab go.mod above the test's directory")
		}
		dir = parent
	}
}

// testFuncs lists the top-level Test functions of the package in dir.
func testFuncs(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") && fn.Name.Name != "TestMain" {
				names = append(names, fn.Name.Name)
			}
		}
	}
	return names
}

// TestCommittedMutantsApply is `make mutate`'s fast part, in the normal
// suite: mutants.yaml parses, every mutant still applies to the code
// exactly once (a stale mutant fails here, before anyone runs make
// mutate), and every run names a package that has a test its pattern
// selects.
func TestCommittedMutantsApply(t *testing.T) {
	root := repoRoot(t)
	ms, err := Load(filepath.Join(root, "mutants.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		t.Fatal("mutants.yaml lists no mutant")
	}
	for _, m := range ms {
		if _, err := mutate(root, m); err != nil {
			t.Errorf("%v: update mutants.yaml with the code", err)
		}
		for _, r := range m.runs() {
			dir := filepath.Join(root, filepath.FromSlash(r.Pkg))
			re := regexp.MustCompile(topLevel(r.Run))
			found := false
			for _, name := range testFuncs(t, dir) {
				found = found || re.MatchString(name)
			}
			if !found {
				t.Errorf("mutant %s: no test function in %s matches -run %q", m.ID, r.Pkg, r.Run)
			}
		}
	}
}
