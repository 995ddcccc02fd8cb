package main

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
)

// bencode (BitTorrent's encoding) is what rtpengine's ng control protocol
// speaks: strings, integers, lists and dictionaries.

var errBencode = errors.New("malformed bencode")

// maxDepth bounds nesting so a hostile reply cannot exhaust the stack.
const maxDepth = 32

// encode renders v: string, []byte, int, []any or map[string]any.
func encode(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case string:
		buf.WriteString(strconv.Itoa(len(x)))
		buf.WriteByte(':')
		buf.WriteString(x)
	case []byte:
		buf.WriteString(strconv.Itoa(len(x)))
		buf.WriteByte(':')
		buf.Write(x)
	case int:
		buf.WriteByte('i')
		buf.WriteString(strconv.Itoa(x))
		buf.WriteByte('e')
	case []any:
		buf.WriteByte('l')
		for _, e := range x {
			if err := encode(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte('e')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys) // bencode dictionaries are sorted by key
		buf.WriteByte('d')
		for _, k := range keys {
			if err := encode(buf, k); err != nil {
				return err
			}
			if err := encode(buf, x[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('e')
	default:
		return fmt.Errorf("encode %T: %w", v, errBencode)
	}
	return nil
}

// decode reads one value from b and returns it with the rest of b:
// strings as string, integers as int64, lists as []any, dictionaries as
// map[string]any.
func decode(b []byte) (any, []byte, error) { return decodeDepth(b, 0) }

func decodeDepth(b []byte, depth int) (any, []byte, error) {
	if len(b) == 0 || depth > maxDepth {
		return nil, nil, errBencode
	}
	switch c := b[0]; {
	case c == 'i':
		end := bytes.IndexByte(b, 'e')
		if end < 2 {
			return nil, nil, errBencode
		}
		n, err := strconv.ParseInt(string(b[1:end]), 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", errBencode, err)
		}
		return n, b[end+1:], nil
	case c == 'l':
		var out []any
		rest := b[1:]
		for len(rest) > 0 && rest[0] != 'e' {
			v, r, err := decodeDepth(rest, depth+1)
			if err != nil {
				return nil, nil, err
			}
			out, rest = append(out, v), r
		}
		if len(rest) == 0 {
			return nil, nil, errBencode
		}
		return out, rest[1:], nil
	case c == 'd':
		out := map[string]any{}
		rest := b[1:]
		for len(rest) > 0 && rest[0] != 'e' {
			k, r, err := decodeDepth(rest, depth+1)
			if err != nil {
				return nil, nil, err
			}
			key, ok := k.(string)
			if !ok {
				return nil, nil, errBencode
			}
			v, r2, err := decodeDepth(r, depth+1)
			if err != nil {
				return nil, nil, err
			}
			out[key], rest = v, r2
		}
		if len(rest) == 0 {
			return nil, nil, errBencode
		}
		return out, rest[1:], nil
	case c >= '0' && c <= '9':
		colon := bytes.IndexByte(b, ':')
		if colon < 0 || colon > 10 {
			return nil, nil, errBencode
		}
		n, err := strconv.Atoi(string(b[:colon]))
		if err != nil || n < 0 || n > len(b)-colon-1 {
			return nil, nil, errBencode
		}
		return string(b[colon+1 : colon+1+n]), b[colon+1+n:], nil
	}
	return nil, nil, errBencode
}
