package call

import (
	"strings"
	"testing"
	"unicode"
)

// FuzzSplitList: the list splitter of History-Info (and any header of
// comma-separated elements) loses and invents nothing: its elements are
// non-empty and trimmed, and together they hold every byte of the value
// but the separating commas and the space around them.
func FuzzSplitList(f *testing.F) {
	f.Add(`<sip:a@x>;index=1, "b, c" <sip:b@x?Reason=SIP%3Bcause%3D302>;index=1.1`)
	f.Add(`"a\", b" <sip:a@x>, <sip:b@x;p=1,2>`)
	f.Add(`,,<, >>,"`)
	f.Fuzz(func(t *testing.T, v string) {
		// the value without commas and white space (joined with commas, so
		// that no two elements' bytes make a character together)
		strip := func(s string) string {
			return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }), "")
		}
		parts := splitList(v)
		for _, p := range parts {
			if p == "" || strings.TrimSpace(p) != p {
				t.Fatalf("splitList(%q) = %q: element %q empty or untrimmed", v, parts, p)
			}
		}
		if got, want := strip(strings.Join(parts, ",")), strip(v); got != want {
			t.Fatalf("splitList(%q) = %q: holds %q, want %q", v, parts, got, want)
		}
	})
}
