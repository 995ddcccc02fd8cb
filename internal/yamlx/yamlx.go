// Package yamlx holds what the project's strict YAML decoders share: one
// document parsed into yaml.v3 nodes without letting the parser panic,
// yaml.v3's syntax errors split into line and message, node descriptions
// and "did you mean" suggestions for error messages. The decoders (pbx/config,
// conform profiles) walk the nodes themselves so that every error names the
// file, the line and the field.
package yamlx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Parse returns the top node of the single YAML document in data, nil for
// an empty document. More than one document is an error; a panic of the
// parser on hostile input becomes an error.
func Parse(data []byte) (root *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("yaml: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("yaml: line %d: more than one YAML document", extra.Line)
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil, nil
		}
		return doc.Content[0], nil
	}
	return &doc, nil
}

// SyntaxError splits a yaml.v3 error ("yaml: line 3: ...") into its line
// (0 when it has none) and message.
func SyntaxError(err error) (line int, msg string) {
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				return n, tail
			}
		}
	}
	return 0, msg
}

// Describe names a node in an error message: its kind, or its value quoted
// (shortened past 40 characters) with its type when that is not a string.
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	switch n.ShortTag() {
	case "!!bool":
		return "a boolean " + strconv.Quote(v)
	case "!!float":
		return "a number " + strconv.Quote(v)
	case "!!null":
		return "nothing"
	}
	return strconv.Quote(v)
}

// Suggest returns the candidate closest to name when name is a likely typo
// of it (a prefix of three letters or more, or an edit distance below 3),
// "" otherwise.
func Suggest(name string, candidates []string) string {
	if len(name) > 64 {
		return ""
	}
	lower := strings.ToLower(name)
	best, bestDist := "", 3
	for _, c := range candidates {
		if len(lower) >= 3 && strings.HasPrefix(c, lower) {
			return c
		}
		if dist := editDistance(lower, c); dist < bestDist {
			best, bestDist = c, dist
		}
	}
	return best
}

// Join extends a dotted field path ("sip.listen") with a name.
func Join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
