package conform

import (
	"cmp"
	"errors"
	"fmt"
	"pbxlab/internal/yamlx"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxNodes bounds the YAML nodes a profile may have.
const maxNodes = 1 << 18

// decoder walks a profile's YAML nodes by hand (yaml.v3's Node API), so
// that every error names the line and the field path, and unknown keys,
// duplicate keys, aliases and wrong types are errors.
type decoder struct {
	file  string
	lines map[string]int
	errs  []error
	nodes int
}

func (d *decoder) errorf(line int, field, format string, args ...any) {
	d.errs = append(d.errs, &ProfileError{File: d.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// yamlError turns "yaml: line 3: ..." into a ProfileError with the line.
func (d *decoder) yamlError(err error) error {
	line, msg := yamlx.SyntaxError(err)
	return &ProfileError{File: d.file, Line: line, Msg: msg}
}

// fields maps the keys of a mapping to their decoders.
type fields map[string]func(n *yaml.Node, field string)

// mapping decodes the mapping n at path with fs: an unknown key (with a
// suggestion), a duplicate key or a node that is not a mapping is an
// error.
func (d *decoder) mapping(n *yaml.Node, path string, fs fields) {
	if !d.visit(n, path) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n.Line, path, "want a mapping, got %s", yamlx.Describe(n))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !d.visit(k, path) {
			return
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k.Line, path, "want a key, got %s", yamlx.Describe(k))
			continue
		}
		field := yamlx.Join(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			d.errorf(k.Line, field, "duplicate key (first at line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		dec, ok := fs[k.Value]
		if !ok {
			names := make([]string, 0, len(fs))
			for name := range fs {
				names = append(names, name)
			}
			slices.Sort(names)
			hint := ""
			if s := yamlx.Suggest(k.Value, names); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.errorf(k.Line, field, "unknown key%s; known keys: %s", hint, strings.Join(names, ", "))
			continue
		}
		d.lines[field] = k.Line
		if isNull(v) {
			continue // an empty value keeps the default
		}
		dec(v, field)
	}
}

// sequence calls each for every item of the sequence n.
func (d *decoder) sequence(n *yaml.Node, path string, each func(n *yaml.Node, field string)) {
	if !d.visit(n, path) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n.Line, path, "want a list, got %s", yamlx.Describe(n))
		return
	}
	for i, item := range n.Content {
		field := fmt.Sprintf("%s[%d]", path, i)
		d.lines[field] = item.Line
		each(item, field)
	}
}

// str decodes a scalar (a string, or a number or word written as it is).
func (d *decoder) str(dst *string) func(n *yaml.Node, field string) {
	return func(n *yaml.Node, field string) {
		if !d.visit(n, field) {
			return
		}
		if n.Kind != yaml.ScalarNode {
			d.errorf(n.Line, field, "want a value, got %s", yamlx.Describe(n))
			return
		}
		switch n.ShortTag() {
		case "!!str", "!!int":
			*dst = n.Value
		default:
			d.errorf(n.Line, field, "want a string, got %s (quote it)", yamlx.Describe(n))
		}
	}
}

// strList decodes a list of scalars.
func (d *decoder) strList(dst *[]string) func(n *yaml.Node, field string) {
	return func(n *yaml.Node, field string) {
		d.sequence(n, field, func(item *yaml.Node, f string) {
			var s string
			d.str(&s)(item, f)
			*dst = append(*dst, s)
		})
	}
}

// strMap decodes a mapping of names to scalars.
func (d *decoder) strMap(dst *map[string]string) func(n *yaml.Node, field string) {
	return func(n *yaml.Node, field string) {
		if !d.visit(n, field) {
			return
		}
		if n.Kind != yaml.MappingNode {
			d.errorf(n.Line, field, "want a mapping, got %s", yamlx.Describe(n))
			return
		}
		if *dst == nil {
			*dst = map[string]string{}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			f := yamlx.Join(field, k.Value)
			if k.Kind != yaml.ScalarNode {
				d.errorf(k.Line, field, "want a key, got %s", yamlx.Describe(k))
				continue
			}
			if _, dup := (*dst)[k.Value]; dup {
				d.errorf(k.Line, f, "duplicate key")
				continue
			}
			d.lines[f] = k.Line
			var s string
			d.str(&s)(v, f)
			(*dst)[k.Value] = s
		}
	}
}

// visit counts a node and refuses aliases (a profile has no use for them,
// and following them can blow a small file up).
func (d *decoder) visit(n *yaml.Node, path string) bool {
	d.nodes++
	if d.nodes > maxNodes {
		if d.nodes == maxNodes+1 {
			d.errorf(n.Line, path, "document too large (more than %d nodes)", maxNodes)
		}
		return false
	}
	if n.Kind == yaml.AliasNode {
		d.errorf(n.Line, path, "YAML aliases are not allowed in a profile")
		return false
	}
	return true
}

// profile decodes the top-level mapping.
func (d *decoder) profile(n *yaml.Node, p *Profile) {
	d.mapping(n, "", fields{
		"name":              d.str(&p.Name),
		"kind":              d.str(&p.Kind),
		"description":       d.str(&p.Description),
		"transport":         d.str(&p.Transport),
		"domain":            d.str(&p.Domain),
		"unassigned_number": d.str(&p.UnassignedNumber),
		"capabilities":      d.strList(&p.Capabilities),
		"services":          d.strMap(&p.Services),
		"feature_codes":     d.strMap(&p.FeatureCodes),
		"subscribers": func(n *yaml.Node, field string) {
			d.sequence(n, field, func(item *yaml.Node, f string) {
				var s Subscriber
				d.mapping(item, f, fields{"number": d.str(&s.Number), "password": d.str(&s.Password)})
				p.Subscribers = append(p.Subscribers, s)
			})
		},
		"subscriber_ranges": func(n *yaml.Node, field string) {
			d.sequence(n, field, func(item *yaml.Node, f string) {
				var r SubscriberRange
				d.mapping(item, f, fields{"from": d.str(&r.From), "to": d.str(&r.To), "password": d.str(&r.Password)})
				p.SubscriberRanges = append(p.SubscriberRanges, r)
			})
		},
		"torture": func(n *yaml.Node, field string) {
			d.mapping(n, field, fields{"expectations": d.str(&p.Torture.Expectations)})
		},
	})
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// sortByLine orders errors by line, those without a line last.
func sortByLine(errs []error) {
	line := func(err error) int {
		var pe *ProfileError
		if errors.As(err, &pe) && pe.Line > 0 {
			return pe.Line
		}
		return 1 << 30
	}
	slices.SortStableFunc(errs, func(a, b error) int { return cmp.Compare(line(a), line(b)) })
}
