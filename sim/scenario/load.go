package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxFileSize bounds what Load reads; scenarios are a few hundred bytes.
const maxFileSize = 1 << 20

// Load reads and validates the scenario file at path.
func Load(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load scenario %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("load scenario %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("file larger than %d bytes", maxFileSize)}
	}
	return Parse(path, data)
}

// Parse decodes and validates a scenario. file only labels errors. Decoding
// is strict: an unknown field is an error. Every content error is an *Error
// (or several joined with errors.Join) naming file:line and the field, and
// matches ErrInvalid.
func Parse(file string, data []byte) (*Scenario, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, convertYAMLError(file, nil, err)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, &Error{File: file, Line: 1, Msg: "empty scenario"}
	}
	if doc := root.Content[0]; doc.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: doc.Line, Msg: "a scenario is a mapping of fields (name, population, ...)"}
	}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var sc Scenario
	if err := dec.Decode(&sc); err != nil {
		return nil, convertYAMLError(file, &root, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: file, Line: extra.Line, Msg: "more than one YAML document"}
	} else if !errors.Is(err, io.EOF) {
		return nil, convertYAMLError(file, &root, err)
	}

	sc.File = file
	raw := sc.Calls
	sc.applyDefaults()
	if errs := sc.validate(raw); len(errs) > 0 {
		out := make([]error, len(errs))
		for i, v := range errs {
			out[i] = &Error{File: file, Line: lineOf(&root, v.field), Field: v.field, Msg: v.msg}
		}
		return nil, errors.Join(out...)
	}
	return &sc, nil
}

var (
	lineRe         = regexp.MustCompile(`line (\d+): (.*)`)
	unknownFieldRe = regexp.MustCompile(`^field (\S+) not found in type`)
	quotedValueRe  = regexp.MustCompile("`([^`]*)`")
)

// convertYAMLError turns yaml.v3's "line N: ..." messages into *Error values
// carrying the field path found at that line in root.
func convertYAMLError(file string, root *yaml.Node, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		out := make([]error, 0, len(te.Errors))
		for _, msg := range te.Errors {
			out = append(out, lineError(file, root, msg))
		}
		return errors.Join(out...)
	}
	return lineError(file, root, strings.TrimPrefix(err.Error(), "yaml: "))
}

func lineError(file string, root *yaml.Node, msg string) error {
	m := lineRe.FindStringSubmatch(msg)
	if m == nil {
		return &Error{File: file, Msg: msg}
	}
	line, _ := strconv.Atoi(m[1])
	e := &Error{File: file, Line: line, Msg: m[2]}
	if u := unknownFieldRe.FindStringSubmatch(m[2]); u != nil {
		e.Field = keyPathAt(root, line, u[1])
		if e.Field == "" {
			e.Field = u[1]
		}
		e.Msg = "unknown field"
		return e
	}
	value, hasValue := "", false
	if q := quotedValueRe.FindStringSubmatch(m[2]); q != nil {
		value, hasValue = strings.TrimSuffix(q[1], "..."), true
	}
	e.Field = valuePathAt(root, line, value, hasValue)
	return e
}

// keyPathAt finds the dotted path of the mapping key named key on line.
func keyPathAt(root *yaml.Node, line int, key string) string {
	var found string
	walk(root, "", func(path string, k, _ *yaml.Node) bool {
		if k.Line == line && k.Value == key {
			found = path
			return true
		}
		return false
	})
	return found
}

// valuePathAt finds the dotted path of the field whose scalar value sits on
// line (and, when known, reads value: flow mappings put several on one line).
func valuePathAt(root *yaml.Node, line int, value string, hasValue bool) string {
	var found string
	walk(root, "", func(path string, k, v *yaml.Node) bool {
		if v.Line == line && v.Kind == yaml.ScalarNode && (!hasValue || strings.HasPrefix(v.Value, value)) {
			found = path
			return true
		}
		return false
	})
	return found
}

// lineOf returns the line of the field at a dotted path, or of its closest
// present parent (1 when nothing matches).
func lineOf(root *yaml.Node, path string) int {
	for path != "" {
		line := 0
		walk(root, "", func(p string, k, _ *yaml.Node) bool {
			if p == path {
				line = k.Line
				return true
			}
			return false
		})
		if line > 0 {
			return line
		}
		i := strings.LastIndexAny(path, ".[")
		if i <= 0 {
			break
		}
		path = path[:i]
	}
	return 1
}

// walk visits every key/value pair of the mappings under n, depth first,
// with its dotted path, and every item of a sequence (as both key and
// value, path "list[i]"); it stops when visit returns true.
func walk(n *yaml.Node, prefix string, visit func(path string, k, v *yaml.Node) bool) bool {
	if n == nil {
		return false
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if walk(c, prefix, visit) {
				return true
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			path := fmt.Sprintf("%s[%d]", prefix, i)
			if visit(path, c, c) || walk(c, path, visit) {
				return true
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := k.Value
			if prefix != "" {
				path = prefix + "." + k.Value
			}
			if visit(path, k, v) || walk(v, path, visit) {
				return true
			}
		}
	}
	return false
}
