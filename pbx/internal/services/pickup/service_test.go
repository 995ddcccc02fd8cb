package pickup

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Code
	}{
		{"*8#", Code{Op: Group}},
		{"*8%23", Code{Op: Group}},
		{"*8", Code{Op: Group}},
		{"%2A8%23", Code{Op: Group}},
		{"*8*1002#", Code{Op: Directed, Number: "1002"}},
		{"*8*1002%23", Code{Op: Directed, Number: "1002"}},
		{"*8*1002", Code{Op: Directed, Number: "1002"}},
		{"*8*#", Code{Op: Malformed}},
		{"*8*12a#", Code{Op: Malformed}},
		{"*8*" + strings.Repeat("1", 33), Code{Op: Malformed}},
		{"*8#5", Code{Op: Malformed}},
		{"*89*1002#", Code{}},
		{"*80#", Code{}},
		{"1002", Code{}},
		{"", Code{}},
	} {
		if got := Parse(tc.in); got != tc.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestTargets(t *testing.T) {
	s, err := New(Config{
		Groups: []GroupConfig{{Name: "sales", Members: []string{"1001", "1002", "1003"}}, {Name: "desk", Members: []string{"1003", "1004"}}},
		Right:  []string{"1009"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		picker string
		code   Code
		want   []string
		err    error
	}{
		{"1001", Code{Op: Group}, []string{"1002", "1003"}, nil},
		{"1003", Code{Op: Group}, []string{"1001", "1002", "1004"}, nil},
		{"1009", Code{Op: Group}, nil, ErrNoGroup},
		{"1005", Code{Op: Group}, nil, ErrNoGroup},
		{"1001", Code{Op: Directed, Number: "1004"}, []string{"1004"}, nil}, // outside its group: the right is enough
		{"1009", Code{Op: Directed, Number: "1001"}, []string{"1001"}, nil},
		{"1005", Code{Op: Directed, Number: "1001"}, nil, ErrNoRight},
		{"1001", Code{Op: Directed, Number: "1001"}, nil, nil}, // itself: nothing
		{"1001", Code{}, nil, nil},
	} {
		got, err := s.Targets(tc.picker, tc.code)
		if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
			t.Errorf("%s %v: error %v, want %v", tc.picker, tc.code, err, tc.err)
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s %v: targets %v, want %v", tc.picker, tc.code, got, tc.want)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{Groups: []GroupConfig{{Members: []string{"1"}}}}, "groups[0].name"},
		{Config{Groups: []GroupConfig{{Name: "a"}}}, "groups[0].members"},
		{Config{Groups: []GroupConfig{{Name: "a", Members: []string{"1", "x"}}}}, "groups[0].members[1]"},
		{Config{Groups: []GroupConfig{{Name: "a", Members: []string{"1", "1"}}}}, "groups[0].members[1]"},
		{Config{Groups: []GroupConfig{{Name: "a", Members: []string{"1"}}, {Name: "a", Members: []string{"2"}}}}, "groups[1].name"},
		{Config{Right: []string{"1", "1"}}, "right[1]"},
	} {
		ps := tc.cfg.Check()
		if len(ps) == 0 || ps[0].Field != tc.field {
			t.Errorf("%+v: problems %v, want one at %s", tc.cfg, ps, tc.field)
		}
		if _, err := New(tc.cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", tc.cfg, err)
		}
	}
	if ps := (Config{}).Check(); len(ps) != 0 {
		t.Errorf("empty config: %v", ps)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"*8#", "*8*1002%23", "*8*", "*8#1", "%2a8", "*89*1#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := Parse(s)
		switch c.Op {
		case Directed:
			if c.Number == "" || len(c.Number) > maxNumber || strings.Trim(c.Number, "0123456789") != "" {
				t.Fatalf("Parse(%q): directed number %q", s, c.Number)
			}
		case None, Group, Malformed:
			if c.Number != "" {
				t.Fatalf("Parse(%q): %v with number %q", s, c.Op, c.Number)
			}
		default:
			t.Fatalf("Parse(%q): op %v", s, c.Op)
		}
		if c.Op.String() == "op?" {
			t.Fatalf("op %d unnamed", c.Op)
		}
	})
}
