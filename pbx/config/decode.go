package config

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"pbxlab/internal/yamlx"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// maxNodes bounds the YAML nodes visited while decoding, aliases counted each
// time they are followed, so that a small file cannot expand into a huge one.
const maxNodes = 1 << 21

// source records where a Config was read from: the file name and the line of
// every field path seen in the file.
type source struct {
	name  string
	lines map[string]int
}

// Load reads and parses the configuration file at path. Errors name the file
// as path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse decodes data (YAML) on top of Defaults and validates the result. name
// is the file name used in error messages. Empty data yields the defaults.
// All problems found are returned together (errors.Join of *FieldError, one
// per line).
func Parse(name string, data []byte) (*Config, error) {
	c := Defaults()
	d := &decoder{src: &source{name: name, lines: map[string]int{}}}
	c.src = d.src
	root, err := yamlx.Parse(data)
	if err != nil {
		return nil, d.yamlError(err)
	}
	if root != nil {
		d.value(root, reflect.ValueOf(c).Elem(), "", "")
	}
	c.resolveIVRFiles(name)
	errs, failed := d.errs, d.failed()
	for _, err := range c.validate() {
		if !covered(failed, err) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, byLine)
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// failed returns the field paths that failed to decode (or hold an unknown
// field).
func (d *decoder) failed() map[string]bool {
	paths := make(map[string]bool, len(d.errs))
	for _, err := range d.errs {
		var fe *FieldError
		if errors.As(err, &fe) && fe.Field != "" {
			paths[fe.Field] = true
		}
	}
	return paths
}

// covered reports whether err, found by Validate, concerns a field in failed
// or below one, where it would only repeat the decoding problem.
func covered(failed map[string]bool, err error) bool {
	var fe *FieldError
	if len(failed) == 0 || !errors.As(err, &fe) {
		return false
	}
	for path := fe.Field; path != ""; {
		if failed[path] {
			return true
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return false
}

// byLine orders errors by source line, errors without a line last.
func byLine(a, b error) int {
	la, lb := errLine(a), errLine(b)
	switch {
	case la == lb:
		return 0
	case la == 0:
		return 1
	case lb == 0:
		return -1
	}
	return cmp.Compare(la, lb)
}

func errLine(err error) int {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe.Line
	}
	return 0
}

type decoder struct {
	src   *source
	errs  []error
	nodes int
}

func (d *decoder) errorf(line int, path, format string, args ...any) {
	d.errs = append(d.errs, &FieldError{File: d.src.name, Line: line, Field: path, Msg: fmt.Sprintf(format, args...)})
}

// yamlError turns a yaml.v3 syntax error ("yaml: line 3: ...") into a
// FieldError carrying the line.
func (d *decoder) yamlError(err error) error {
	line, msg := yamlx.SyntaxError(err)
	return &FieldError{File: d.src.name, Line: line, Msg: msg}
}

// value decodes n into v. path is the field path of v and unit the "unit"
// struct tag of the field ("s" for the *_expires fields).
func (d *decoder) value(n *yaml.Node, v reflect.Value, path, unit string) {
	d.nodes++
	if d.nodes == maxNodes {
		d.errorf(n.Line, path, "document too large (more than %d nodes after aliases)", maxNodes)
	}
	if d.nodes >= maxNodes {
		return
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			d.errorf(n.Line, path, "unknown alias")
			return
		}
		d.value(n.Alias, v, path, unit)
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // an empty value keeps the default
	}
	switch {
	case v.Type() == reflect.TypeFor[time.Duration]():
		d.duration(n, v, path, unit)
	case v.Kind() == reflect.String:
		if s, ok := d.scalar(n, path, "a string"); ok {
			v.SetString(s)
		}
	case v.Kind() == reflect.Int, v.Kind() == reflect.Int64:
		s, ok := d.scalar(n, path, "an integer")
		if !ok {
			return
		}
		i, err := strconv.ParseInt(s, 10, 0)
		if err != nil {
			d.errorf(n.Line, path, "want an integer, got %s", yamlx.Describe(n))
			return
		}
		v.SetInt(i)
	case v.Kind() == reflect.Bool:
		s, ok := d.scalar(n, path, "true or false")
		if !ok {
			return
		}
		switch s {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			d.errorf(n.Line, path, "want true or false, got %s", yamlx.Describe(n))
		}
	case v.Kind() == reflect.Slice:
		d.slice(n, v, path)
	case v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String:
		d.dict(n, v, path)
	case v.Kind() == reflect.Struct:
		d.mapping(n, v, path)
	case v.Kind() == reflect.Pointer: // an optional section: present once mentioned
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.value(n, v.Elem(), path, unit)
	default:
		panic("config: unsupported field type " + v.Type().String())
	}
}

// scalar returns the text of a scalar node. Any scalar tag is accepted for a
// string field (a number like 2000 stays "2000", octal-looking 0100 stays
// "0100").
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n.Line, path, "want %s, got %s", want, yamlx.Describe(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value, path, unit string) {
	want := `a duration such as "90s"`
	if unit == "s" {
		want = `whole seconds such as 3600 or a duration such as "1h"`
	}
	s, ok := d.scalar(n, path, want)
	if !ok {
		return
	}
	if unit == "s" && isInteger(s) {
		secs, err := strconv.ParseInt(s, 10, 64)
		if err != nil || secs > int64(maxDuration/time.Second) || secs < -int64(maxDuration/time.Second) {
			d.errorf(n.Line, path, "%s seconds is out of range", s)
			return
		}
		v.SetInt(int64(time.Duration(secs) * time.Second))
		return
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		if isInteger(s) {
			d.errorf(n.Line, path, "want %s, got %s (a plain number has no unit)", want, yamlx.Describe(n))
		} else {
			d.errorf(n.Line, path, "want %s, got %s", want, yamlx.Describe(n))
		}
		return
	}
	if unit == "s" && dur%time.Second != 0 {
		d.errorf(n.Line, path, "%s is not a whole number of seconds", s)
		return
	}
	v.SetInt(int64(dur))
}

const maxDuration = time.Duration(1<<63 - 1)

func isInteger(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// defaulter is implemented by list element types whose entries have
// defaults of their own.
type defaulter interface{ applyDefaults() }

func (d *decoder) slice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n.Line, path, "want a list, got %s", yamlx.Describe(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		d.src.lines[p] = item.Line
		elem := out.Index(i)
		if def, ok := elem.Addr().Interface().(defaulter); ok {
			def.applyDefaults()
		}
		d.value(item, elem, p, "")
	}
	v.Set(out)
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		what := "a mapping"
		if path == "" {
			what = "a mapping of sections (sip, auth, ...) at the top level"
		}
		d.errorf(n.Line, path, "want %s, got %s", what, yamlx.Describe(n))
		return
	}
	t := v.Type()
	fields := make(map[string]int, t.NumField())
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			fields[name] = i
			names = append(names, name)
		}
	}
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k.Line, path, "field name must be a string, got %s", yamlx.Describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			d.errorf(k.Line, path, "merge keys (<<) are not supported")
			continue
		}
		name := k.Value
		idx, ok := fields[name]
		if !ok {
			msg := fmt.Sprintf("unknown field %q", name)
			if s := yamlx.Suggest(name, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.errorf(k.Line, path, "%s", msg)
			continue
		}
		p := yamlx.Join(path, name)
		if first, dup := seen[name]; dup {
			d.errorf(k.Line, p, "duplicate field (first at line %d)", first)
			continue
		}
		seen[name] = k.Line
		d.src.lines[p] = k.Line
		f := t.Field(idx)
		d.value(val, v.Field(idx), p, f.Tag.Get("unit"))
	}
}

// dict decodes a mapping with keys of the user's choice (media IDs,
// causes) into a map with string keys; the caller validates the keys.
func (d *decoder) dict(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n.Line, path, "want a mapping, got %s", yamlx.Describe(n))
		return
	}
	if len(n.Content) == 0 {
		return // {} keeps the default
	}
	out := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			d.errorf(k.Line, path, "key must be a string, got %s", yamlx.Describe(k))
			continue
		}
		p := yamlx.Join(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			d.errorf(k.Line, p, "duplicate key (first at line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		d.src.lines[p] = k.Line
		elem := reflect.New(v.Type().Elem()).Elem()
		d.value(val, elem, p, "")
		out.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
	}
	v.Set(out)
}

// yamlName is the YAML key of an exported struct field, "" for none.
func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}
