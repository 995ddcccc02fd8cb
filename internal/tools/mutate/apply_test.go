package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// writeTree writes files (slash path -> content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const calcGo = "package calc\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n\nfunc Sub(a, b int) int {\n\treturn a - b\n}\n"

func oneEdit(file, old, new string) *Mutant {
	return &Mutant{ID: "m", File: file, Old: old, New: new}
}

// TestMutateChangesOnlyTheCopy: a mutant is applied to a copy of the tree
// and restored there; the original is never written.
func TestMutateChangesOnlyTheCopy(t *testing.T) {
	root, copyDir := t.TempDir(), t.TempDir()
	writeTree(t, root, map[string]string{"calc/calc.go": calcGo, "go.mod": "module calc\n"})
	if err := os.Symlink("calc/calc.go", filepath.Join(root, "link.go")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "go.mod"), 0o600); err != nil {
		t.Fatal(err)
	}
	mu, err := mutate(root, oneEdit("calc/calc.go", "return a + b", "return a * b"))
	if err != nil {
		t.Fatal(err)
	}
	if err := copyTree(root, copyDir, []string{"calc/calc.go", "go.mod", "link.go"}); err != nil {
		t.Fatal(err)
	}
	if err := mu.write(copyDir); err != nil {
		t.Fatal(err)
	}
	want := "package calc\n\nfunc Add(a, b int) int {\n\treturn a * b\n}\n\nfunc Sub(a, b int) int {\n\treturn a - b\n}\n"
	if got := readFile(t, filepath.Join(copyDir, "calc", "calc.go")); got != want {
		t.Fatalf("mutated copy:\n%s\nwant:\n%s", got, want)
	}
	if got := readFile(t, filepath.Join(root, "calc", "calc.go")); got != calcGo {
		t.Fatalf("the original changed:\n%s", got)
	}
	if st, err := os.Stat(filepath.Join(copyDir, "go.mod")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("copied go.mod: %v, %v; want mode 0600", st, err)
	}
	if target, err := os.Readlink(filepath.Join(copyDir, "link.go")); err != nil || target != "calc/calc.go" {
		t.Fatalf("copied symlink: %q, %v", target, err)
	}
	if err := mu.restore(copyDir); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(copyDir, "calc", "calc.go")); got != calcGo {
		t.Fatalf("restored copy:\n%s", got)
	}
}

func TestMutateSeveralEdits(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"calc.go": calcGo, "other.go": "package calc\n\nconst X = 1\n"})
	m := &Mutant{ID: "m", Edits: []Edit{
		{File: "calc.go", Old: "return a + b", New: "return a - b"},
		{File: "other.go", Old: "X = 1", New: "X = 2"},
		// the second edit of a file sees the first: "a - b" now occurs twice
		{File: "calc.go", Old: "func Sub(a, b int) int {\n\treturn a - b", New: "func Sub(a, b int) int {\n\treturn b - a"},
	}}
	mu, err := mutate(root, m)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(mu.files, []string{"calc.go", "other.go"}) {
		t.Fatalf("files %v", mu.files)
	}
	if got := string(mu.content["calc.go"]); got != "package calc\n\nfunc Add(a, b int) int {\n\treturn a - b\n}\n\nfunc Sub(a, b int) int {\n\treturn b - a\n}\n" {
		t.Fatalf("calc.go:\n%s", got)
	}
	if got := string(mu.content["other.go"]); got != "package calc\n\nconst X = 2\n" {
		t.Fatalf("other.go:\n%s", got)
	}
}

// TestStaleMutant: old text missing, found twice, or its file gone: the
// mutant is stale, never skipped.
func TestStaleMutant(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"calc.go": calcGo})
	for name, m := range map[string]*Mutant{
		"not found":    oneEdit("calc.go", "return a / b", "return a * b"),
		"found twice":  oneEdit("calc.go", "(a, b int) int {", "(a, b int) int { panic(1)"),
		"file missing": oneEdit("gone.go", "x", "y"),
		"second edit stale": {ID: "m", Edits: []Edit{
			{File: "calc.go", Old: "return a + b", New: "return a - b"},
			{File: "calc.go", Old: "return a + b", New: "return 0"},
		}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := mutate(root, m); !errors.Is(err, ErrStale) {
				t.Fatalf("mutate: %v, want ErrStale", err)
			}
		})
	}
}

// TestRepoFiles: the copy holds tracked and untracked files, not ignored
// ones, nor .git.
func TestRepoFiles(t *testing.T) {
	root := gitRepo(t, map[string]string{"a.go": "package a\n", "sub/b.go": "package sub\n", ".gitignore": "*.out\n", "x.out": "junk"})
	files, err := repoFiles(t.Context(), root)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	if want := []string{".gitignore", "a.go", "sub/b.go"}; !slices.Equal(files, want) {
		t.Fatalf("files %v, want %v", files, want)
	}
}
