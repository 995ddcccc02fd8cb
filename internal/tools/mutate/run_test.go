package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/testproc"
)

// gitRepo makes a git repository (nothing committed: untracked files are
// copied too) holding files.
func gitRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var out strings.Builder
	cmd := exec.Command("git", "init", "-q", root)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := testproc.Run(ctx, cmd); err != nil {
		t.Fatalf("git init: %v\n%s", err, out.String())
	}
	writeTree(t, root, files)
	return root
}

func goCommand(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command: %v", err)
	}
	return p
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// The module the end-to-end test mutates: Add is tested, Sub is not,
// Wait returns at once (a mutant makes it hang).
var fixture = map[string]string{
	"go.mod": "module calc\n\ngo 1.26\n",
	"calc.go": "package calc\n\nimport \"time\"\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n\n" +
		"func Sub(a, b int) int {\n\treturn a - b\n}\n\nfunc Wait() {\n\ttime.Sleep(0)\n}\n",
	"calc_test.go": "package calc\n\nimport \"testing\"\n\n" +
		"func TestAdd(t *testing.T) {\n\tif got := Add(1, 2); got != 3 {\n\t\tt.Fatalf(\"Add(1, 2) = %d\", got)\n\t}\n}\n\n" +
		"func TestWait(t *testing.T) { Wait() }\n",
	"mutants.yaml": `
- id: add-multiplies
  issue: "Add multiplies"
  file: calc.go
  old: return a + b
  new: return a * b
  test: {pkg: ./, run: '^TestAdd$', fails_with: 'Add\(1, 2\) = 2'}
- id: add-wrong-reason
  issue: "Add multiplies, but the test must fail for another reason"
  file: calc.go
  old: return a + b
  new: return a * b
  test: {pkg: ./, run: '^TestAdd$', fails_with: 'something else'}
- id: sub-untested
  issue: "Sub swaps its operands"
  file: calc.go
  old: return a - b
  new: return b - a
  test: {pkg: ./, run: '^TestAdd$'}
- id: wait-hangs
  issue: "Wait never returns"
  file: calc.go
  old: time.Sleep(0)
  new: time.Sleep(time.Hour)
  test: {pkg: ./, run: '^TestWait$'}
  timeout: 2s
- id: stale
  issue: "the code changed under the mutant"
  file: calc.go
  old: return a / b
  new: return 0
  test: {pkg: ./, run: '^TestAdd$'}
- id: does-not-build
  issue: "a mutant that is not Go"
  file: calc.go
  old: return a + b
  new: return a +
  test: {pkg: ./, run: '^TestAdd$'}
- id: no-such-test
  issue: "a pattern that selects nothing"
  file: calc.go
  old: return a + b
  new: return a - b
  test: {pkg: ./, run: '^TestNothing$'}
`,
}

// TestRunEndToEnd runs the tool on a small module: a killed mutant, one
// that fails for the wrong reason, a survivor, a hang (killed by timeout),
// a stale mutant, one that does not build and one whose pattern selects no
// test. The working tree is never changed.
func TestRunEndToEnd(t *testing.T) {
	root := gitRepo(t, fixture)
	var out strings.Builder
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	code := run(ctx, config{root: root, list: filepath.Join(root, "mutants.yaml"), jobs: 2, baseline: true,
		slack: 2 * time.Minute, goCmd: goCommand(t), out: &out})
	t.Log(out.String())
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{
		`(?m)^  KILLED +add-multiplies$`,
		`(?m)^KILLED +add-multiplies .*\n    -run '\^TestAdd\$' \./ \([^)]*\): …?.*Add\(1, 2\) = 2`,
		`(?m)^  SURVIVED +add-wrong-reason$`,
		`no output line matches fails_with "something else"`,
		`(?m)^  SURVIVED +sub-untested$`,
		`still passing: TestAdd`,
		`(?m)^  KILLED \(timeout\) +wait-hangs$`,
		`timeout: the test hung until go test -timeout`,
		`(?m)^  STALE +stale$`,
		`old text not found in calc.go`,
		`(?m)^  ERROR +does-not-build$`,
		`does not build with the mutant`,
		`(?m)^  ERROR +no-such-test$`,
		`baseline FAILS -run '\^TestNothing\$' \./ .*no test matches`,
		`(?m)^mutate: 7 mutants: 2 killed \(1 by timeout\), 2 survived, 1 stale, 2 errors$`,
	} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("output does not match %s", want)
		}
	}
	if got := readFile(t, filepath.Join(root, "calc.go")); got != fixture["calc.go"] {
		t.Errorf("the working tree changed:\n%s", got)
	}
}

// TestRunOnly: -only runs the named mutants, and exits 0 when all are
// killed; an unknown id is an error of the command line.
func TestRunOnly(t *testing.T) {
	root := gitRepo(t, fixture)
	cfg := config{root: root, list: filepath.Join(root, "mutants.yaml"), jobs: 2, baseline: true,
		slack: 2 * time.Minute, goCmd: goCommand(t), only: []string{"add-multiplies"}}
	var out strings.Builder
	cfg.out = &out
	if code := run(t.Context(), cfg); code != 0 {
		t.Errorf("exit %d, want 0:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "mutate: 1 mutants: 1 killed (0 by timeout), 0 survived, 0 stale, 0 errors") {
		t.Errorf("output:\n%s", out.String())
	}
	out.Reset()
	cfg.only = []string{"nope"}
	if code := run(t.Context(), cfg); code != 2 || !strings.Contains(out.String(), "unknown mutant id") {
		t.Errorf("unknown id: exit %d\n%s", code, out.String())
	}
}
