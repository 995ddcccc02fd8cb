package forward

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		dialled string
		want    Code
	}{
		{"*57*1003#", Code{Op: Set, Kind: Unconditional, Number: "1003"}},
		{"*57*1003%23", Code{Op: Set, Kind: Unconditional, Number: "1003"}},
		{"*57*1003", Code{Op: Set, Kind: Unconditional, Number: "1003"}},
		{"%2A57%2A1003%23", Code{Op: Set, Kind: Unconditional, Number: "1003"}},
		{"*40*1004#", Code{Op: Set, Kind: Busy, Number: "1004"}},
		{"*41*1005#", Code{Op: Set, Kind: NoReply, Number: "1005"}},
		{"*42*90123#", Code{Op: Set, Kind: Unreachable, Number: "90123"}},
		{"#57#", Code{Op: Clear, Kind: Unconditional}},
		{"%2357%23", Code{Op: Clear, Kind: Unconditional}},
		{"#57", Code{Op: Clear, Kind: Unconditional}},
		{"#40#", Code{Op: Clear, Kind: Busy}},
		{"#41", Code{Op: Clear, Kind: NoReply}},
		{"#42%23", Code{Op: Clear, Kind: Unreachable}},
		{"*57*", Code{Op: Malformed, Kind: Unconditional}},
		{"*57", Code{Op: Malformed, Kind: Unconditional}},
		{"*57*10a3#", Code{Op: Malformed, Kind: Unconditional}},
		{"*57*" + strings.Repeat("1", 33), Code{Op: Malformed, Kind: Unconditional}},
		{"#57*1003#", Code{Op: Malformed, Kind: Unconditional}},
		{"#40##", Code{Op: Malformed, Kind: Busy}},
		{"*41*1003*20#", Code{Op: Malformed, Kind: NoReply}},
		{"*571003", Code{}},
		{"*51*05*1003#", Code{}},
		{"1003", Code{}},
		{"*56#", Code{}},
		{"", Code{}},
	} {
		if got := Parse(tc.dialled); got != tc.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.dialled, got, tc.want)
		}
	}
}

// FuzzParse: dialled numbers come from the network (the Request-URI):
// Parse never panics, and what it accepts is well formed.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"*57*1003#", "#57%23", "*40*1", "%2A41%2A", "*42**", "#42*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dialled string) {
		c := Parse(dialled)
		switch c.Op {
		case Set:
			if !isNumber(c.Number) {
				t.Errorf("Parse(%q) = %+v: accepted a bad number", dialled, c)
			}
		case None, Clear, Malformed:
			if c.Number != "" {
				t.Errorf("Parse(%q) = %+v: a number without a Set", dialled, c)
			}
		}
		if c.Op != None && !strings.Contains(Normalise(dialled), codes[c.Kind]) {
			t.Errorf("Parse(%q) = %+v: not its kind's code", dialled, c)
		}
	})
}
