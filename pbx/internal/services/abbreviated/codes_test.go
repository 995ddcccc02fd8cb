package abbreviated

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		dialled string
		digits  int
		want    Code
	}{
		{"*51*05*1003#", 2, Code{Op: Set, Code: "05", Number: "1003"}},
		{"*51*05*1003%23", 2, Code{Op: Set, Code: "05", Number: "1003"}},
		{"*51*05*1003", 2, Code{Op: Set, Code: "05", Number: "1003"}},
		{"%2A51%2A05%2A1003%23", 2, Code{Op: Set, Code: "05", Number: "1003"}},
		{"*51*5*1003", 1, Code{Op: Set, Code: "5", Number: "1003"}},
		{"*51*5*1003", 2, Code{Op: Malformed}},
		{"*51*05*", 2, Code{Op: Malformed}},
		{"*51*05", 2, Code{Op: Malformed}},
		{"*51*05*10a3", 2, Code{Op: Malformed}},
		{"*51*05*" + strings.Repeat("1", 33), 2, Code{Op: Malformed}},
		{"#51*05#", 2, Code{Op: Clear, Code: "05"}},
		{"%2351*05%23", 2, Code{Op: Clear, Code: "05"}},
		{"#51*05", 2, Code{Op: Clear, Code: "05"}},
		{"#51*", 2, Code{Op: Malformed}},
		{"#51*055", 2, Code{Op: Malformed}},
		{"**05", 2, Code{Op: Use, Code: "05"}},
		{"**05#", 2, Code{Op: Use, Code: "05"}},
		{"**055", 2, Code{Op: None}},
		{"**5", 2, Code{Op: None}},
		{"1003", 2, Code{Op: None}},
		{"*98", 2, Code{Op: None}},
		{"*57*1003", 2, Code{Op: None}},
		{"", 2, Code{Op: None}},
	} {
		if got := Parse(tc.dialled, tc.digits); got != tc.want {
			t.Errorf("Parse(%q, %d) = %+v, want %+v", tc.dialled, tc.digits, got, tc.want)
		}
	}
}

// FuzzParse: dialled numbers come from the network (the Request-URI):
// Parse never panics, and what it accepts is well formed.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"*51*05*1003#", "#51*05%23", "**05", "%2A51%2A", "*51**", "#51*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dialled string) {
		c := Parse(dialled, DefaultDigits)
		switch c.Op {
		case Set:
			if !isCode(c.Code, DefaultDigits) || !isNumber(c.Number) {
				t.Errorf("Parse(%q) = %+v: accepted a bad code or number", dialled, c)
			}
		case Clear, Use:
			if !isCode(c.Code, DefaultDigits) || c.Number != "" {
				t.Errorf("Parse(%q) = %+v", dialled, c)
			}
		case None, Malformed:
			if c.Code != "" || c.Number != "" {
				t.Errorf("Parse(%q) = %+v: a refusal with a code", dialled, c)
			}
		}
	})
}
