package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"pbxlab/internal/testpeer"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // build-output, build-fail
}

type line struct{ test, text string }

type pkgState struct {
	lines  []line            // every output line, in order
	result map[string]string // test -> pass, fail, skip
}

// skipped is a skipped test and the reason it logged.
type skipped struct {
	pkg, test, reason string
}

type summary struct {
	out                  io.Writer
	ci                   bool
	pkgs                 map[string]*pkgState
	order                []string // packages in the order they started
	passed, failed       int
	skips                []skipped
	failedTests          []string
	failedPkgs           []string
	events, nonJSONLines int
}

// run summarises the stream in and returns the exit status.
func run(in io.Reader, out io.Writer, ci bool) int {
	s := &summary{out: out, ci: ci, pkgs: make(map[string]*pkgState)}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		s.line(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(out, "testsummary: read go test -json: %v\n", err)
		return 1
	}
	return s.finish()
}

func (s *summary) line(b []byte) {
	var e event
	if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &e) != nil || e.Action == "" {
		s.nonJSONLines++
		fmt.Fprintf(s.out, "%s\n", b) // go's own messages (a vet failure, a crash)
		return
	}
	s.events++
	switch e.Action {
	case "build-output":
		fmt.Fprint(s.out, e.Output)
		return
	case "build-fail":
		s.failedPkgs = append(s.failedPkgs, e.ImportPath+" [build failed]")
		return
	}
	p := s.pkg(e.Package)
	switch {
	case e.Action == "output":
		p.lines = append(p.lines, line{e.Test, e.Output})
	case e.Test != "" && (e.Action == "pass" || e.Action == "fail" || e.Action == "skip"):
		p.result[e.Test] = e.Action
		switch e.Action {
		case "pass":
			s.passed++
		case "fail":
			s.failed++
			s.failedTests = append(s.failedTests, e.Package+" "+e.Test)
		case "skip":
			s.skips = append(s.skips, skipped{e.Package, e.Test, reason(p.lines, e.Test)})
		}
	case e.Test == "" && (e.Action == "pass" || e.Action == "fail" || e.Action == "skip"):
		s.flush(e.Package, e.Action == "fail")
	}
}

func (s *summary) pkg(name string) *pkgState {
	p := s.pkgs[name]
	if p == nil {
		p = &pkgState{result: make(map[string]string)}
		s.pkgs[name] = p
		s.order = append(s.order, name)
	}
	return p
}

// flush prints a finished package as plain `go test` would: its own lines
// (ok, FAIL, a panic) and the output of its tests that did not pass or
// skip (failed, or still running when the binary died).
func (s *summary) flush(name string, failed bool) {
	p := s.pkgs[name]
	if p == nil {
		return
	}
	if failed {
		s.failedPkgs = append(s.failedPkgs, name)
	}
	for _, l := range p.lines {
		switch {
		case l.test == "":
			if !failed && l.text == "PASS\n" {
				continue
			}
			fmt.Fprint(s.out, l.text)
		case p.result[l.test] != "pass" && p.result[l.test] != "skip":
			fmt.Fprint(s.out, l.text)
		}
	}
	delete(s.pkgs, name)
	s.order = slices.DeleteFunc(s.order, func(n string) bool { return n == name })
}

// reason returns what a skipped test logged last: its t.Skip message.
func reason(lines []line, test string) string {
	var last string
	for _, l := range lines {
		if l.test != test {
			continue
		}
		t := strings.TrimSpace(l.text)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		last = t
	}
	if last == "" {
		return "(no reason logged)"
	}
	return last
}

func (s *summary) finish() int {
	for len(s.order) > 0 { // the stream ended inside these packages
		name := s.order[0]
		fmt.Fprintf(s.out, "testsummary: %s never finished\n", name)
		s.flush(name, true)
	}
	status := 0
	if len(s.skips) == 0 {
		fmt.Fprintln(s.out, "\n=== SKIPPED: none")
	} else {
		fmt.Fprintf(s.out, "\n=== SKIPPED: %d tests\n", len(s.skips))
		for _, sk := range s.skips {
			fmt.Fprintf(s.out, "--- SKIP: %s %s\n        %s\n", sk.pkg, sk.test, sk.reason)
		}
	}
	var banned []string
	for _, sk := range s.skips {
		if peer, ok := testpeer.Parse(sk.reason); ok && !slices.Contains(testpeer.AllowedMissingInCI(), peer) {
			banned = append(banned, fmt.Sprintf("%s %s (%s)", sk.pkg, sk.test, peer))
		}
	}
	if s.ci && len(banned) > 0 {
		fmt.Fprintf(s.out, "\n=== CI=true: %d tests skipped for a missing peer that is not on testpeer.AllowedMissingInCI (%v):\n",
			len(banned), testpeer.AllowedMissingInCI())
		for _, b := range banned {
			fmt.Fprintf(s.out, "    %s\n", b)
		}
		status = 1
	}
	if len(s.failedTests) > 0 || len(s.failedPkgs) > 0 {
		fmt.Fprintf(s.out, "\n=== FAILED: %d tests, %d packages\n", len(s.failedTests), len(s.failedPkgs))
		for _, f := range s.failedTests {
			fmt.Fprintf(s.out, "--- FAIL: %s\n", f)
		}
		for _, f := range s.failedPkgs {
			fmt.Fprintf(s.out, "FAIL %s\n", f)
		}
		status = 1
	}
	if s.events == 0 {
		fmt.Fprintln(s.out, "testsummary: no go test -json event read")
		status = 1
	}
	fmt.Fprintf(s.out, "\ntests: %d passed, %d failed, %d skipped\n", s.passed, s.failed, len(s.skips))
	return status
}
