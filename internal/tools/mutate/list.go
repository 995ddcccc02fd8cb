package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// DefaultTimeout bounds one test run of a mutant (go test -timeout) when
// the mutant sets none.
const DefaultTimeout = 3 * time.Minute

// maxListSize bounds what Load reads.
const maxListSize = 1 << 20

// Mutant is one entry of the list: a small source change that breaks one
// behaviour, and the test(s) that must catch it.
type Mutant struct {
	ID    string `yaml:"id"`
	Issue string `yaml:"issue"`
	// File, Old, New: the one edit of a mutant (the usual case) ...
	File string `yaml:"file"`
	Old  string `yaml:"old"`
	New  string `yaml:"new"`
	// ... or Edits, applied in order, for a mutant that needs several.
	Edits []Edit `yaml:"edits"`
	// Test or Tests: every top-level test each run selects must fail.
	Test  *TestRun  `yaml:"test"`
	Tests []TestRun `yaml:"tests"`
	// Timeout is go test's -timeout for each run (DefaultTimeout unless
	// set). A run that reaches it hung on the mutant: KILLED (timeout).
	Timeout time.Duration `yaml:"timeout"`

	line int // of the entry in the list
}

// Edit replaces the only occurrence of Old in File (relative to the
// repository root, slash-separated) with New.
type Edit struct {
	File string `yaml:"file"`
	Old  string `yaml:"old"`
	New  string `yaml:"new"`
}

// TestRun is one `go test -count=1 -run Run Pkg` with Env added to the
// environment (e.g. PBXLAB_FEATURES_TAGS for the features).
type TestRun struct {
	Pkg string            `yaml:"pkg"`
	Run string            `yaml:"run"`
	Env map[string]string `yaml:"env"`
	// FailsWith, when set, is a regular expression some line of the
	// failing run's output must match: the test fails for the right
	// reason, not for any reason.
	FailsWith string `yaml:"fails_with"`
}

// String is how reports name the run; it is also the run's identity (the
// same run of several mutants has one baseline).
func (r TestRun) String() string {
	env := make([]string, 0, len(r.Env))
	for k, v := range r.Env {
		if strings.ContainsAny(v, " \t'\"&|~!*?$") {
			v = "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
		}
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	return strings.Join(append(env, "-run '"+r.Run+"' "+r.Pkg), " ")
}

// edits returns the mutant's edits, whichever form the list used.
func (m *Mutant) edits() []Edit {
	if len(m.Edits) > 0 {
		return m.Edits
	}
	return []Edit{{File: m.File, Old: m.Old, New: m.New}}
}

// runs returns the mutant's test runs, whichever form the list used.
func (m *Mutant) runs() []TestRun {
	if m.Test != nil {
		return []TestRun{*m.Test}
	}
	return m.Tests
}

// Load reads and validates the mutant list at path.
func Load(path string) ([]*Mutant, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load mutants %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxListSize+1))
	if err != nil {
		return nil, fmt.Errorf("load mutants %s: %w", path, err)
	}
	if len(data) > maxListSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("file larger than %d bytes", maxListSize)}
	}
	return Parse(path, data)
}

var (
	yamlLineRe = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	idRe       = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
)

// Parse decodes a mutant list strictly (an unknown field is an error) and
// validates every entry. file labels errors, which are *Error values (joined
// with errors.Join when several) matching ErrInvalid.
func Parse(file string, data []byte) ([]*Mutant, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.SequenceNode {
		return nil, &Error{File: file, Line: 1, Msg: "the list is a YAML sequence of mutants (- id: ...)"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var ms []*Mutant
	if err := dec.Decode(&ms); err != nil {
		return nil, yamlError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: file, Line: extra.Line, Msg: "more than one YAML document"}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(file, err)
	}
	entries := root.Content[0].Content
	var errs []error
	seen := map[string]int{}
	for i, m := range ms {
		if m == nil {
			errs = append(errs, &Error{File: file, Line: entries[i].Line, Msg: "empty mutant"})
			continue
		}
		m.line = entries[i].Line
		for _, msg := range m.validate() {
			errs = append(errs, &Error{File: file, Line: lineOf(entries[i], msg.field), Msg: msg.text})
		}
		if first, dup := seen[m.ID]; dup && m.ID != "" {
			errs = append(errs, &Error{File: file, Line: m.line, Msg: fmt.Sprintf("id %q already used at line %d", m.ID, first)})
		}
		seen[m.ID] = m.line
		if m.Timeout == 0 {
			m.Timeout = DefaultTimeout
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return ms, nil
}

type problem struct{ field, text string }

func (m *Mutant) validate() []problem {
	var ps []problem
	bad := func(field, format string, args ...any) {
		ps = append(ps, problem{field, fmt.Sprintf(format, args...)})
	}
	if !idRe.MatchString(m.ID) {
		bad("id", "id %q: want lower-case letters, digits and dashes", m.ID)
	}
	if strings.TrimSpace(m.Issue) == "" {
		bad("issue", "issue: say which behaviour the mutant breaks")
	}
	single := m.File != "" || m.Old != "" || m.New != ""
	switch {
	case single && len(m.Edits) > 0:
		bad("edits", "give file/old/new or edits, not both")
	case !single && len(m.Edits) == 0:
		bad("file", "file, old and new (or edits) are required")
	}
	for i, e := range m.edits() {
		field := "file"
		if len(m.Edits) > 0 {
			field = "edits"
		}
		if msg := e.check(); msg != "" {
			bad(field, "edit %d: %s", i+1, msg)
		}
	}
	switch {
	case m.Test != nil && len(m.Tests) > 0:
		bad("tests", "give test or tests, not both")
	case m.Test == nil && len(m.Tests) == 0:
		bad("test", "test {pkg, run} is required")
	}
	for i, r := range m.runs() {
		field := "test"
		if len(m.Tests) > 0 {
			field = "tests"
		}
		if msg := r.check(); msg != "" {
			bad(field, "test %d: %s", i+1, msg)
		}
	}
	if m.Timeout < 0 {
		bad("timeout", "timeout %v is negative", m.Timeout)
	}
	return ps
}

func (e Edit) check() string {
	switch {
	case e.File == "":
		return "file is required"
	case !validPath(e.File):
		return fmt.Sprintf("file %q: want a slash-separated path inside the repository", e.File)
	case e.Old == "":
		return "old is required (the exact text to replace)"
	case e.Old == e.New:
		return "new is the same as old"
	}
	return ""
}

func (r TestRun) check() string {
	switch {
	case r.Pkg != "./" && (!strings.HasPrefix(r.Pkg, "./") || strings.Contains(r.Pkg, "...") || !validPath(strings.TrimSuffix(strings.TrimPrefix(r.Pkg, "./"), "/"))):
		return fmt.Sprintf("pkg %q: want one package directory, ./path/to/pkg/", r.Pkg)
	case r.Run == "":
		return "run is required (a -run pattern naming the test)"
	}
	if _, err := regexp.Compile(topLevel(r.Run)); err != nil {
		return fmt.Sprintf("run %q: %v", r.Run, err)
	}
	if _, err := regexp.Compile(r.FailsWith); err != nil {
		return fmt.Sprintf("fails_with %q: %v", r.FailsWith, err)
	}
	return ""
}

// validPath reports whether p is a clean relative slash path that stays
// inside the repository.
func validPath(p string) bool {
	return p != "" && p != "." && path.Clean(p) == p && !path.IsAbs(p) && !strings.HasPrefix(p, "../") && p != ".."
}

// topLevel returns the part of a -run pattern that matches top-level test
// names: up to the first slash outside brackets and parentheses, as the
// testing package splits it.
func topLevel(run string) string {
	depth := 0
	for i := 0; i < len(run); i++ {
		switch run[i] {
		case '\\':
			i++
		case '[', '(':
			depth++
		case ']', ')':
			depth--
		case '/':
			if depth == 0 {
				return run[:i]
			}
		}
	}
	return run
}

// lineOf returns the line of key field in the mapping node entry, or the
// entry's own line.
func lineOf(entry *yaml.Node, field string) int {
	for i := 0; i+1 < len(entry.Content); i += 2 {
		if entry.Content[i].Value == field {
			return entry.Content[i].Line
		}
	}
	return entry.Line
}

// yamlError turns yaml.v3's errors ("line N: ...", several for a
// TypeError) into *Error values.
func yamlError(file string, err error) error {
	var te *yaml.TypeError
	msgs := []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	out := make([]error, 0, len(msgs))
	for _, msg := range msgs {
		e := &Error{File: file, Msg: msg}
		if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Msg = m[2]
		}
		if strings.Contains(e.Msg, "found a tab character") {
			e.Msg += " (a block scalar's first line cannot start with a tab: start old/new at the line's first non-blank character)"
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}
