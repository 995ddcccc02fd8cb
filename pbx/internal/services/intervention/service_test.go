package intervention

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Code
	}{
		{"*89*1001#", Code{Op: Intervene, Digits: "1001"}},
		{"*89*1001%23", Code{Op: Intervene, Digits: "1001"}},
		{"*89*1001", Code{Op: Intervene, Digits: "1001"}},
		{"%2A89%2A56781001%23", Code{Op: Intervene, Digits: "56781001"}},
		{"*89#", Code{Op: Leave}},
		{"*89%23", Code{Op: Leave}},
		{"*89", Code{Op: Leave}},
		{"*89*#", Code{Op: Malformed}},
		{"*89*10a1#", Code{Op: Malformed}},
		{"*89*1001*2#", Code{Op: Malformed}},
		{"*89*" + strings.Repeat("1", 37), Code{Op: Malformed}},
		{"*89#1001", Code{Op: Malformed}},
		{"*890#", Code{}},
		{"*8*1001#", Code{}},
		{"*8#", Code{}},
		{"1001", Code{}},
		{"", Code{}},
	} {
		if got := Parse(tc.in); got != tc.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
	for op, name := range map[Op]string{None: "none", Intervene: "intervene", Leave: "leave", Malformed: "malformed", 9: "op?"} {
		if op.String() != name {
			t.Errorf("%d: %q, want %q", op, op.String(), name)
		}
	}
}

// pins is a password store: pin -> owner.
type pins map[string]string

func (p pins) Owner(pin string) (string, bool) { o, ok := p[pin]; return o, ok }

func subscribers(ns ...string) Directory {
	return func(n string) bool { return slices.Contains(ns, n) }
}

func TestResolve(t *testing.T) {
	s, err := New(Config{Right: []string{"1003", "1004"}, Protected: []string{"1009"}},
		subscribers("1001", "1002", "1003", "1004", "1005", "1009"), pins{"5678": "1004", "1111": "1005"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, caller, dialled string
		notSub                bool
		want                  Request
		err                   error
		code                  int
	}{
		{"plain", "1003", "*89*1001#", false, Request{Op: Intervene, Target: "1001", Intervener: "1003"}, nil, 0},
		{"password", "1005", "*89*56781001#", false, Request{Op: Intervene, Target: "1001", Intervener: "1004", Password: true}, nil, 0},
		{"leave", "1003", "*89#", false, Request{Op: Leave, Intervener: "1003"}, nil, 0},
		{"not the service's", "1003", "1001", false, Request{}, nil, 0},
		{"no right", "1005", "*89*1001#", false, Request{}, ErrNoRight, 403},
		{"password of one without the right", "1003", "*89*11111001#", false, Request{}, ErrNoRight, 403},
		{"wrong password", "1005", "*89*99991001#", false, Request{}, ErrWrongPassword, 403},
		{"protected", "1003", "*89*1009#", false, Request{}, ErrProtected, 403},
		{"oneself", "1003", "*89*1003#", false, Request{}, ErrSelf, 403},
		{"own password on oneself", "1003", "*89*56781004#", false, Request{}, ErrSelf, 403},
		{"no such subscriber", "1003", "*89*7777#", false, Request{}, ErrUnknown, 404},
		{"password and no such subscriber", "1003", "*89*56787777#", false, Request{}, ErrUnknown, 404},
		{"malformed", "1003", "*89*10a1#", false, Request{}, ErrMalformed, 484},
		{"from a trunk", "0123", "*89*1001#", true, Request{}, ErrNoRight, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Resolve(tc.caller, !tc.notSub, tc.dialled)
			if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("Resolve = %+v, %v; want %+v, %v", got, err, tc.want, tc.err)
			}
			c := &services.Call{Caller: tc.caller, Subscriber: !tc.notSub, Dialled: tc.dialled}
			v, herr := s.Dialled(context.Background(), c)
			if herr != nil {
				t.Fatal(herr)
			}
			if tc.err == nil {
				if v.Kind != services.Continue {
					t.Errorf("Dialled: %+v, want continue", v)
				}
				return
			}
			code, _, _ := sipx.StatusOf(v.Err)
			if v.Kind != services.Refuse || code != tc.code || !errors.Is(v.Err, tc.err) {
				t.Errorf("Dialled: %+v (%d), want a %d refusal", v, code, tc.code)
			}
		})
	}
	if !s.Claims("*89*1001#") || !s.Claims("*89#") || s.Claims("1001") {
		t.Error("Claims")
	}
	// without passwords the password form is an unknown number
	np, err := New(Config{Right: []string{"1003"}}, subscribers("1001", "1003"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := np.Resolve("1003", true, "*89*56781001#"); !errors.Is(err, ErrUnknown) {
		t.Errorf("no password store: %v, want ErrUnknown", err)
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{Right: []string{"1", "x"}}, "right[1]"},
		{Config{Right: []string{"1", "1"}}, "right[1]"},
		{Config{Protected: []string{""}}, "protected[0]"},
		{Config{Protected: []string{"2", "2"}}, "protected[1]"},
	} {
		ps := tc.cfg.Check()
		if len(ps) == 0 || ps[0].Field != tc.field {
			t.Errorf("%+v: problems %v, want one at %s", tc.cfg, ps, tc.field)
		}
		if _, err := New(tc.cfg, subscribers(), nil); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", tc.cfg, err)
		}
	}
	if _, err := New(Config{}, nil, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("no directory: %v", err)
	}
	if ps := (Config{}).Check(); len(ps) != 0 {
		t.Errorf("empty config: %v", ps)
	}
}
