package password

import (
	"context"
	"errors"
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
		{"*47*1234*1002#", Code{Op: Call, PIN: "1234", Number: "1002"}},
		{"*47*1234*1002%23", Code{Op: Call, PIN: "1234", Number: "1002"}},
		{"*47*1234*1002", Code{Op: Call, PIN: "1234", Number: "1002"}},
		{"%2A47%2A0000%2A900441234567%23", Code{Op: Call, PIN: "0000", Number: "900441234567"}},
		{"*47*12*1002#", Code{Op: Malformed}},
		{"*47*12345*1002#", Code{Op: Malformed}},
		{"*47*1234#", Code{Op: Malformed}},
		{"*47*1234*#", Code{Op: Malformed}},
		{"*47*1234*10a2#", Code{Op: Malformed}},
		{"*47*12a4*1002#", Code{Op: Malformed}},
		{"*47*1234*" + strings.Repeat("1", 33), Code{Op: Malformed}},
		{"*47#", Code{Op: Malformed}},
		{"*47", Code{Op: Malformed}},
		{"*470", Code{}},
		{"*4*1234*1002#", Code{}},
		{"1002", Code{}},
		{"", Code{}},
	} {
		if got := Parse(tc.in); got != tc.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestOwner(t *testing.T) {
	s, err := New(Config{Passwords: map[string]string{"1001": "1234", "1002": Hash("1002", "4321"), "1003": "0000"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pin, owner string
		ok         bool
	}{
		{"1234", "1001", true},
		{"4321", "1002", true},
		{"0000", "1003", true},
		{"9999", "", false},
		{"123", "", false},
		{"12345", "", false},
		{"", "", false},
	} {
		owner, ok := s.Owner(tc.pin)
		if owner != tc.owner || ok != tc.ok {
			t.Errorf("Owner(%q) = %q %v, want %q %v", tc.pin, owner, ok, tc.owner, tc.ok)
		}
	}
	// two hashed passwords alike: ambiguous, nobody's
	amb, err := New(Config{Passwords: map[string]string{"1001": Hash("1001", "5555"), "1002": Hash("1002", "5555")}})
	if err != nil {
		t.Fatal(err)
	}
	if owner, ok := amb.Owner("5555"); ok {
		t.Errorf("ambiguous password: owner %q", owner)
	}
	var none *Service
	if _, ok := none.Owner("1234"); ok {
		t.Error("nil service found an owner")
	}
}

func TestDialled(t *testing.T) {
	s, err := New(Config{Passwords: map[string]string{"1001": "1234"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		c          services.Call
		kind       services.VerdictKind
		code       int
		number, as string
		err        error
	}{
		{"right password", services.Call{Caller: "1000", Subscriber: true, Dialled: "*47*1234*1002#"}, services.Rewrite, 0, "1002", "1001", nil},
		{"own password", services.Call{Caller: "1001", Subscriber: true, Dialled: "*47*1234*1002"}, services.Rewrite, 0, "1002", "1001", nil},
		{"wrong password", services.Call{Caller: "1000", Subscriber: true, Dialled: "*47*9999*1002#"}, services.Refuse, 403, "", "", ErrWrongPassword},
		{"malformed", services.Call{Caller: "1000", Subscriber: true, Dialled: "*47*12*1002#"}, services.Refuse, 484, "", "", ErrMalformed},
		{"from a trunk", services.Call{Caller: "0123", Dialled: "*47*1234*1002#"}, services.Refuse, 403, "", "", sipx.ErrForbidden},
		{"not the service's", services.Call{Caller: "1000", Subscriber: true, Dialled: "1002"}, services.Continue, 0, "", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			v, err := s.Dialled(context.Background(), &c)
			if err != nil {
				t.Fatal(err)
			}
			if v.Kind != tc.kind || v.Number != tc.number || v.As != tc.as {
				t.Fatalf("verdict %+v, want %s %q as %q", v, tc.kind, tc.number, tc.as)
			}
			if tc.code != 0 {
				code, _, _ := sipx.StatusOf(v.Err)
				if code != tc.code || !errors.Is(v.Err, tc.err) {
					t.Errorf("refusal %v (%d), want %d %v", v.Err, code, tc.code, tc.err)
				}
			}
			if s.Claims(tc.c.Dialled) != (tc.kind != services.Continue) {
				t.Errorf("Claims(%q) = %v", tc.c.Dialled, s.Claims(tc.c.Dialled))
			}
		})
	}
}

// TestChainAs: the chain makes the password's owner the caller of the
// Routed point (its switches and authority).
func TestChainAs(t *testing.T) {
	s, err := New(Config{Passwords: map[string]string{"1001": "1234"}})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := services.NewChain(nil, nil, s)
	if err != nil {
		t.Fatal(err)
	}
	c := &services.Call{Caller: "1000", Subscriber: true, Dialled: "*47*1234*1002#"}
	v, err := ch.Dialled(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if v.Kind != services.Rewrite || v.Number != "1002" || c.Caller != "1001" || c.Dialled != "1002" {
		t.Errorf("verdict %+v, call %+v: want a rewrite to 1002 as 1001", v, c)
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{Passwords: map[string]string{"1001": "123"}}, "passwords.1001"},
		{Config{Passwords: map[string]string{"1001": "12a4"}}, "passwords.1001"},
		{Config{Passwords: map[string]string{"1001": "12345"}}, "passwords.1001"},
		{Config{Passwords: map[string]string{"1001": "sha256:xyz"}}, "passwords.1001"},
		{Config{Passwords: map[string]string{"1001": "sha256:" + strings.Repeat("a", 63)}}, "passwords.1001"},
		{Config{Passwords: map[string]string{"10x1": "1234"}}, "passwords.10x1"},
		{Config{Passwords: map[string]string{"1001": "1234", "1002": "1234"}}, "passwords.1002"},
	} {
		ps := tc.cfg.Check()
		if len(ps) == 0 || ps[0].Field != tc.field {
			t.Errorf("%+v: problems %v, want one at %s", tc.cfg, ps, tc.field)
		}
		if _, err := New(tc.cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", tc.cfg, err)
		}
	}
	good := Config{Passwords: map[string]string{"1001": "1234", "1002": Hash("1002", "1234")}}
	if ps := good.Check(); len(ps) != 0 {
		t.Errorf("good config: %v", ps)
	}
	if ps := (Config{}).Check(); len(ps) != 0 {
		t.Errorf("empty config: %v", ps)
	}
}
