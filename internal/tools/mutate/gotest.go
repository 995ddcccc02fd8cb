package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"time"

	"pbxlab/internal/testproc"
)

// testResult is what one `go test -json` run said.
type testResult struct {
	run                          TestRun
	ran, failed, passed, skipped []string          // top-level tests, in order
	why                          map[string]string // first error line of each failed test
	buildFailed                  bool
	timedOut                     bool   // go test's -timeout fired: the test hung
	timeoutLine                  string // go test's panic line and the tests it names
	watchdog                     bool   // our own deadline ended go test (build or tool hang)
	err                          error
	output                       []string // every output line, for -v and errors
	elapsed                      time.Duration
}

// verdict of one run against a mutant
type verdict int

const (
	vKilled verdict = iota
	vSurvived
	vError
)

// against classifies r as a run on a mutant: every selected top-level test
// failed, or the run hung until its timeout (KILLED); some test passed or
// skipped (SURVIVED); nothing ran or it did not build (ERROR).
func (r *testResult) against() (verdict, string) {
	switch {
	case r.watchdog:
		return vError, "go test did not finish (building, or stuck outside the tests)"
	case r.err != nil:
		return vError, r.err.Error()
	case r.buildFailed:
		return vError, "does not build with the mutant:\n" + r.tail(20)
	case r.timedOut:
		return vKilled, "timeout: the test hung until go test -timeout: " + r.timeoutLine
	case len(r.ran) == 0:
		return vError, "no test matches the -run pattern:\n" + r.tail(10)
	case len(r.failed) < len(r.ran):
		var alive []string
		for _, t := range r.ran {
			if !slices.Contains(r.failed, t) {
				alive = append(alive, t)
			}
		}
		return vSurvived, "still passing: " + strings.Join(alive, ", ")
	case r.run.FailsWith != "":
		line, ok := r.match(r.run.FailsWith)
		switch {
		case !ok:
			return vSurvived, fmt.Sprintf("failed, but no output line matches fails_with %q (%s)", r.run.FailsWith, r.why1())
		case r.whyMatches(r.run.FailsWith):
			return vKilled, r.why1() // the test's first error is the one wanted
		}
		return vKilled, line
	}
	return vKilled, r.why1()
}

// baseline reports whether r is a clean run on the unmutated code: at least
// one test ran and every selected test passed.
func (r *testResult) baseline() (bool, string) {
	switch {
	case r.watchdog:
		return false, "go test did not finish"
	case r.err != nil:
		return false, r.err.Error()
	case r.buildFailed:
		return false, "does not build:\n" + r.tail(20)
	case r.timedOut:
		return false, "timed out:\n" + r.tail(20)
	case len(r.ran) == 0:
		return false, "no test matches the -run pattern"
	case len(r.passed) != len(r.ran):
		return false, fmt.Sprintf("tests do not pass without the mutant (failed %v, skipped %v):\n%s", r.failed, r.skipped, r.tail(20))
	}
	return true, fmt.Sprintf("%d passed", len(r.passed))
}

// why1 is the first error line of the first failed test.
func (r *testResult) why1() string {
	for _, t := range r.failed {
		if w := r.why[t]; w != "" {
			return t + ": " + w
		}
	}
	if len(r.failed) > 0 {
		return r.failed[0] + " failed"
	}
	return "no error line"
}

// whyMatches reports whether the first error line of the first failed
// test matches pattern.
func (r *testResult) whyMatches(pattern string) bool {
	for _, t := range r.failed {
		if w := r.why[t]; w != "" {
			return regexp.MustCompile(pattern).MatchString(w)
		}
	}
	return false
}

// match returns the first output line that matches pattern (validated
// when the list was parsed), clipped around the match.
func (r *testResult) match(pattern string) (string, bool) {
	re := regexp.MustCompile(pattern)
	for _, l := range r.output {
		if loc := re.FindStringIndex(l); loc != nil {
			from := max(0, loc[0]-60)
			prefix := ""
			if from > 0 {
				prefix = "…"
			}
			return prefix + clip(strings.TrimSpace(l[from:]), 200), true
		}
	}
	return "", false
}

func (r *testResult) tail(n int) string {
	lines := r.output[max(0, len(r.output)-n):]
	return "    " + strings.Join(lines, "\n    ")
}

// goTest runs `go test -json -count=1 -run R -timeout T pkg` in dir, in its
// own process group (internal/testproc), killed at T plus slack.
func goTest(ctx context.Context, goCmd, dir string, run TestRun, timeout, slack time.Duration) *testResult {
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, timeout+slack)
	defer cancel()
	cmd := exec.CommandContext(wctx, goCmd, "test", "-json", "-count=1", "-run", run.Run, "-timeout", timeout.String(), run.Pkg)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range run.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := testproc.Run(wctx, cmd)
	r := parseTestJSON(&stdout)
	r.run, r.elapsed = run, time.Since(start)
	for _, l := range strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n") {
		if l != "" {
			r.output = append(r.output, l)
		}
	}
	var exit *exec.ExitError
	switch {
	case wctx.Err() != nil && ctx.Err() == nil:
		r.watchdog = true
	case ctx.Err() != nil:
		r.err = fmt.Errorf("run go test: %w", ctx.Err())
	case err != nil && !errors.As(err, &exit):
		r.err = fmt.Errorf("run go test: %w", err)
	case err != nil && len(r.failed) == 0 && !r.timedOut && !r.buildFailed:
		// go test failed without a failed test: a build error reported on
		// stderr (go vet's checks during go test, a missing package)
		r.buildFailed = true
	}
	return r
}

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action string
	Test   string
	Output string
}

var errLineRe = regexp.MustCompile(`^\s+\S+\.go:\d+: `)

// parseTestJSON reads go test -json output.
func parseTestJSON(b *bytes.Buffer) *testResult {
	r := &testResult{why: map[string]string{}}
	sc := bufio.NewScanner(b)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action == "" {
			r.output = append(r.output, sc.Text())
			continue
		}
		top, _, _ := strings.Cut(e.Test, "/")
		sub := strings.Contains(e.Test, "/")
		switch e.Action {
		case "build-output", "output":
			line := strings.TrimRight(e.Output, "\n")
			r.output = append(r.output, line)
			switch {
			case strings.HasPrefix(line, "panic: test timed out after"):
				r.timedOut, r.timeoutLine = true, line
			case r.timedOut && strings.HasPrefix(line, "\t\tTest"):
				r.timeoutLine += ", running " + strings.TrimSpace(line)
			case strings.HasPrefix(line, "FAIL") && (strings.HasSuffix(line, "[build failed]") || strings.HasSuffix(line, "[setup failed]")):
				r.buildFailed = true
			case top != "" && r.why[top] == "" && (errLineRe.MatchString(line) || strings.HasPrefix(line, "panic: ")):
				r.why[top] = clip(strings.TrimSpace(line), 200)
			}
		case "build-fail":
			r.buildFailed = true
		case "run":
			if top != "" && !sub {
				r.ran = append(r.ran, top)
			}
		case "pass", "fail", "skip":
			if top == "" || sub {
				continue
			}
			switch e.Action {
			case "pass":
				r.passed = append(r.passed, top)
			case "fail":
				r.failed = append(r.failed, top)
			case "skip":
				r.skipped = append(r.skipped, top)
			}
		}
	}
	return r
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
