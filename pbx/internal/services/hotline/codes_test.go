package hotline

import (
	"strings"
	"testing"
	"time"

	"pbxlab/pbx/internal/services"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		dialled string
		want    Code
	}{
		{"*52*1003#", Code{Op: Set, Number: "1003"}},
		{"*52*1003%23", Code{Op: Set, Number: "1003"}},
		{"*52*1003", Code{Op: Set, Number: "1003"}},
		{"%2A52%2A1003%23", Code{Op: Set, Number: "1003"}},
		{"*52*1003*5#", Code{Op: Set, Number: "1003", Delay: 5 * time.Second}},
		{"*52*112*60", Code{Op: Set, Number: "112", Delay: 60 * time.Second}},
		{"#52#", Code{Op: Clear}},
		{"#52%23", Code{Op: Clear}},
		{"#52", Code{Op: Clear}},
		{"*52*", Code{Op: Malformed}},
		{"*52", Code{Op: Malformed}},
		{"*52#", Code{Op: Malformed}},
		{"*52*10a3#", Code{Op: Malformed}},
		{"*52*" + strings.Repeat("1", 33), Code{Op: Malformed}},
		{"*52*1003*0#", Code{Op: Malformed}},
		{"*52*1003*61#", Code{Op: Malformed}},
		{"*52*1003*05#", Code{Op: Malformed}},
		{"*52*1003*#", Code{Op: Malformed}},
		{"*52*1003*5*1#", Code{Op: Malformed}},
		{"#52*1003#", Code{Op: Malformed}},
		{"#52##", Code{Op: Malformed}},
		{"*521003", Code{}},
		{"*57*1003#", Code{}},
		{"1003", Code{}},
		{"hotline", Code{}},
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
	for _, s := range []string{"*52*1003#", "#52%23", "*52*1*5", "%2A52%2A", "*52**", "#52*", "*52*1*99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dialled string) {
		c := Parse(dialled)
		switch c.Op {
		case Set:
			if !isNumber(c.Number) || c.Delay < 0 || c.Delay > MaxDelay {
				t.Errorf("Parse(%q) = %+v: accepted a bad code", dialled, c)
			}
		case None, Clear, Malformed:
			if c.Number != "" || c.Delay != 0 {
				t.Errorf("Parse(%q) = %+v: a number without a Set", dialled, c)
			}
		}
		if c.Op != None && !strings.Contains(services.NormaliseCode(dialled), code) {
			t.Errorf("Parse(%q) = %+v: not the service's code", dialled, c)
		}
	})
}
