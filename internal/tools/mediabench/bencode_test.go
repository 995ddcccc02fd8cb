package main

import (
	"bytes"
	"reflect"
	"testing"
)

func TestBencodeRoundTrip(t *testing.T) {
	v := map[string]any{"command": "offer", "call-id": "c1", "flags": []any{"trust-address", 5}, "sdp": "v=0\r\n"}
	var buf bytes.Buffer
	if err := encode(&buf, v); err != nil {
		t.Fatal(err)
	}
	if want := "d7:call-id2:c17:command5:offer5:flagsl13:trust-addressi5ee3:sdp5:v=0\r\ne"; buf.String() != want {
		t.Fatalf("encoded %q\nwant    %q", buf.String(), want)
	}
	got, rest, err := decode(buf.Bytes())
	if err != nil || len(rest) != 0 {
		t.Fatalf("decode: %v, rest %q", err, rest)
	}
	want := map[string]any{"command": "offer", "call-id": "c1", "flags": []any{"trust-address", int64(5)}, "sdp": "v=0\r\n"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %#v", got)
	}
}

func TestBencodeRejects(t *testing.T) {
	for _, in := range []string{"", "i12", "ie", "5:abc", "l", "d3:abc", "di1ei2ee", "x", "99999999999:a", "-1:a", "i1-e"} {
		if _, _, err := decode([]byte(in)); err == nil {
			t.Errorf("decode(%q) succeeded", in)
		}
	}
}

// FuzzDecode: replies come from the network; decoding never panics and
// whatever decodes encodes back to something that decodes the same.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{"d6:result2:ok3:sdp5:v=0\r\ne", "l1:ai-3ee", "i0e", "0:", strings100('l')} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, _, err := decode(b)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := encode(&buf, normalize(v)); err != nil {
			t.Fatalf("re-encode %#v: %v", v, err)
		}
		again, _, err := decode(buf.Bytes())
		if err != nil || !reflect.DeepEqual(again, v) {
			t.Fatalf("round trip %#v -> %q -> %#v, %v", v, buf.Bytes(), again, err)
		}
	})
}

func strings100(c byte) string { return string(bytes.Repeat([]byte{c}, 100)) }

// normalize turns decoded int64s back into ints for encode.
func normalize(v any) any {
	switch x := v.(type) {
	case int64:
		return int(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	}
	return v
}
