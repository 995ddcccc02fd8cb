package authority

import (
	"context"
	"errors"
	"testing"

	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

func testConfig() Config {
	return Config{
		Classes: []Class{
			{Name: "internal"},
			{Name: "local", Prefixes: []string{"9"}},
			{Name: "national", Prefixes: []string{"90"}},
			{Name: "international", Prefixes: []string{"900"}},
			{Name: "premium", Prefixes: []string{"9900", "90900"}},
		},
		Roles: []Role{{Name: "lobby", Class: "internal"}, {Name: "staff", Class: "national"}, {Name: "boss", Class: "premium"}},
		Members: []Members{
			{Role: "lobby", Prefixes: []string{"19"}},
			{Role: "boss", Numbers: []string{"1001", "1901"}},
		},
		DefaultRole: "staff",
	}
}

func TestRouted(t *testing.T) {
	s, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name             string
		caller, called   string
		internal, trunk  bool
		barred           bool
		wantClass, wantR string
	}{
		{"staff calls a subscriber", "1002", "1003", true, false, false, "internal", "staff"},
		{"staff calls local", "1002", "9123", false, false, false, "local", "staff"},
		{"staff calls national", "1002", "9010123", false, false, false, "national", "staff"},
		{"staff calls international", "1002", "900441234", false, false, true, "international", "staff"},
		{"staff calls premium by the longest prefix", "1002", "909001234", false, false, true, "premium", "staff"},
		{"an unclassified number is of the highest class", "1002", "5555", false, false, true, "premium", "staff"},
		{"lobby calls a subscriber", "1905", "1003", true, false, false, "internal", "lobby"},
		{"lobby calls local", "1905", "9123", false, false, true, "local", "lobby"},
		{"an exact number beats the lobby prefix", "1901", "909001234", false, false, false, "premium", "boss"},
		{"boss calls premium", "1001", "99001", false, false, false, "premium", "boss"},
		{"a trusted peer is not checked", "1905", "900441234", false, true, false, "international", "lobby"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.Class(tc.called, tc.internal); got != tc.wantClass {
				t.Errorf("Class(%s) = %s, want %s", tc.called, got, tc.wantClass)
			}
			if got := s.Role(tc.caller); got != tc.wantR {
				t.Errorf("Role(%s) = %s, want %s", tc.caller, got, tc.wantR)
			}
			v, err := s.Routed(context.Background(), &services.Call{Caller: tc.caller, Subscriber: !tc.trunk, Called: tc.called, Internal: tc.internal})
			if err != nil {
				t.Fatal(err)
			}
			if got := v.Kind == services.Refuse; got != tc.barred {
				t.Fatalf("barred %v, want %v (%+v)", got, tc.barred, v)
			}
			if !tc.barred {
				return
			}
			if code, _, _ := sipx.StatusOf(v.Err); code != 403 || !errors.Is(v.Err, ErrBarred) {
				t.Errorf("refusal %v: want 403 wrapping ErrBarred", v.Err)
			}
		})
	}
}

func TestNoRoleNoRestriction(t *testing.T) {
	cfg := testConfig()
	cfg.DefaultRole = ""
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Routed(context.Background(), &services.Call{Caller: "1002", Subscriber: true, Called: "909001234"})
	if err != nil || v.Kind != services.Continue {
		t.Errorf("a subscriber without a role: %+v %v, want continue", v, err)
	}
	off, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := off.Routed(context.Background(), &services.Call{Caller: "1905", Subscriber: true, Called: "900"}); v.Kind != services.Continue {
		t.Errorf("no classes: %+v, want continue", v)
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"valid", func(*Config) {}, ""},
		{"unnamed class", func(c *Config) { c.Classes[1].Name = "" }, "classes[1].name"},
		{"class named twice", func(c *Config) { c.Classes[2].Name = "local" }, "classes[2].name"},
		{"prefix not digits", func(c *Config) { c.Classes[1].Prefixes = []string{"9x"} }, "classes[1].prefixes[0]"},
		{"prefix in two classes", func(c *Config) { c.Classes[2].Prefixes = []string{"9"} }, "classes[2].prefixes[0]"},
		{"role of an unknown class", func(c *Config) { c.Roles[1].Class = "galactic" }, "roles[1].class"},
		{"member of an unknown role", func(c *Config) { c.Members[0].Role = "janitor" }, "members[0].role"},
		{"member without numbers", func(c *Config) { c.Members[0].Prefixes = nil }, "members[0]"},
		{"number with two roles", func(c *Config) { c.Members[0].Numbers = []string{"1001"} }, "members[1].numbers[0]"},
		{"unknown default role", func(c *Config) { c.DefaultRole = "nobody" }, "default_role"},
		{"roles without classes", func(c *Config) { c.Classes = nil; c.Roles = nil }, "classes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			tc.edit(&cfg)
			ps := cfg.Check()
			if tc.field == "" {
				if len(ps) > 0 {
					t.Fatalf("problems %v", ps)
				}
				return
			}
			for _, p := range ps {
				if p.Field == tc.field {
					if _, err := New(cfg); err == nil {
						t.Error("New accepts it")
					}
					return
				}
			}
			t.Errorf("problems %v, want one at %s", ps, tc.field)
		})
	}
}
