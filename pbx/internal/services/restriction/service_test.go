package restriction

import (
	"context"
	"errors"
	"testing"

	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

func TestRouted(t *testing.T) {
	s, err := New(Config{
		Groups: []Group{
			{Name: "guests", Numbers: []string{"1050"}, Prefixes: []string{"19"}},
			{Name: "staff", Prefixes: []string{"10"}},
			{Name: "board", Numbers: []string{"1001"}},
			{Name: "abroad", Prefixes: []string{"900"}},
		},
		Restrictions: []Restriction{{From: "guests", To: "staff"}, {From: "guests", To: "abroad"}, {From: "staff", To: "board"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name                   string
		caller, callee, called string
		trunk, barred          bool
	}{
		{"guest to staff", "1901", "1002", "1002", false, true},
		{"guest by exact number to staff", "1050", "1002", "1002", false, true},
		{"staff to guest: one direction only", "1002", "1901", "1901", false, false},
		{"guest to guest", "1901", "1902", "1902", false, false},
		{"guest to an outside number of a group", "1901", "", "900441234", false, true},
		{"staff to board", "1002", "1001", "1001", false, true},
		{"board to staff", "1001", "1002", "1002", false, false},
		{"outside number of no group", "1901", "", "9123", false, false},
		{"a trusted peer is not checked", "1901", "1002", "1002", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := s.Routed(context.Background(), &services.Call{Caller: tc.caller, Subscriber: !tc.trunk, Callee: tc.callee, Called: tc.called})
			if err != nil {
				t.Fatal(err)
			}
			if got := v.Kind == services.Refuse; got != tc.barred {
				t.Fatalf("barred %v, want %v", got, tc.barred)
			}
			if tc.barred {
				if code, _, _ := sipx.StatusOf(v.Err); code != 403 || !errors.Is(v.Err, ErrRestricted) {
					t.Errorf("refusal %v: want 403 wrapping ErrRestricted", v.Err)
				}
			}
		})
	}
}

func TestCheck(t *testing.T) {
	good := func() Config {
		return Config{Groups: []Group{{Name: "a", Numbers: []string{"1"}}, {Name: "b", Prefixes: []string{"2"}}},
			Restrictions: []Restriction{{From: "a", To: "b"}}}
	}
	for _, tc := range []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"valid", func(*Config) {}, ""},
		{"same group both ends", func(c *Config) { c.Restrictions = append(c.Restrictions, Restriction{From: "a", To: "a"}) }, ""},
		{"unnamed group", func(c *Config) { c.Groups[0].Name = "" }, "groups[0].name"},
		{"group named twice", func(c *Config) { c.Groups[1].Name = "a" }, "groups[1].name"},
		{"empty group", func(c *Config) { c.Groups[1].Prefixes = nil }, "groups[1]"},
		{"bad number", func(c *Config) { c.Groups[0].Numbers = []string{"+1"} }, "groups[0].numbers[0]"},
		{"unknown from", func(c *Config) { c.Restrictions[0].From = "x" }, "restrictions[0].from"},
		{"unknown to", func(c *Config) { c.Restrictions[0].To = "y" }, "restrictions[0].to"},
		{"pair twice", func(c *Config) { c.Restrictions = append(c.Restrictions, Restriction{From: "a", To: "b"}) }, "restrictions[1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good()
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
