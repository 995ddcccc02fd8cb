package numbering

import (
	"errors"
	"testing"
)

// The locations of the tests: Beijing (86 10), Shanghai (86 21), Hong Kong
// written as another country (852 2).
var (
	beijing  = Location{"86", "10"}
	shanghai = Location{"86", "21"}
	hk       = Location{"852", "2"}
)

func testPlan(t testing.TB) *Plan {
	t.Helper()
	p, err := NewPlan(Config{
		Home: beijing, NationalPrefix: "0", InternationalPrefix: "00",
		Devices: []Device{
			{Name: "og-sh", Location: shanghai, InDomain: true},
			{Name: "og-hk", Location: hk, InDomain: true},
			{Name: "carrier", Location: beijing},
		},
		Entries: []Entry{
			{Prefix: "5550", MinLen: 7, MaxLen: 7, Kind: Subscriber},
			{Location: shanghai, Prefix: "6660", MinLen: 7, MaxLen: 7, Kind: Route, Target: "to-sh", Device: "og-sh"},
			{Location: hk, Prefix: "777", MinLen: 7, MaxLen: 7, Kind: Route, Target: "to-hk", Device: "og-hk"},
			{Prefix: "8", MinLen: 4, MaxLen: 4, Kind: Group, Target: "sales"},
			{Prefix: "*89*", Kind: Feature, Target: "intervention"},
			{Prefix: "900", Kind: Reject, Cause: 403},
			{Prefix: "110", MinLen: 3, MaxLen: 3, Kind: Route, Target: "emergency", Device: "carrier"},
			{Context: "lobby", Prefix: "5550", MinLen: 7, MaxLen: 7, Kind: Reject, Cause: 403},
			{Context: "lobby", Prefix: "5550000", MinLen: 7, MaxLen: 7, Kind: Subscriber},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTable1_1 is the manual's Table 1-1, what a caller may dial: with the
// same country and area code, the subscriber number, area+subscriber or
// country+area+subscriber; with the country code only, area+subscriber or
// country+area+subscriber; with nothing shared, country+area+subscriber
// only. Every form reaches the callee with the subscriber number alone
// (location-based substitution strips the codes).
func TestTable1_1(t *testing.T) {
	p := testPlan(t)
	type dial struct {
		from    Location
		dialled string
		reaches bool
	}
	for _, tc := range []struct {
		name  string
		dials []dial
	}{
		{"same country and area", []dial{{beijing, "5550001", true}, {beijing, "0105550001", true}, {beijing, "0086105550001", true}}},
		{"country code only", []dial{{shanghai, "5550001", false}, {shanghai, "0105550001", true}, {shanghai, "0086105550001", true}}},
		{"nothing", []dial{{hk, "5550001", false}, {hk, "0105550001", false}, {hk, "0086105550001", true}}},
	} {
		for _, d := range tc.dials {
			r, err := p.Analyse("", d.from, d.dialled)
			got := err == nil && r.Kind == Subscriber && r.At.Location == beijing && r.Called == "5550001"
			if got != d.reaches {
				t.Errorf("%s: %s dials %s: reaches the Beijing subscriber = %v (%+v, %v), want %v", tc.name, d.from, d.dialled, got, r, err, d.reaches)
			}
		}
	}
}

// TestTable1_2 is the manual's Table 1-2, the calling number presented for
// a caller inside the LS domain: the subscriber number when caller and
// callee share country and area, area+subscriber when they share the
// country, country+area+subscriber otherwise; a caller outside the domain
// keeps its number.
func TestTable1_2(t *testing.T) {
	p := testPlan(t)
	for _, tc := range []struct {
		from, to Location
		inDomain bool
		want     string
	}{
		{beijing, beijing, true, "5550001"},
		{beijing, shanghai, true, "0105550001"},
		{beijing, hk, true, "0086105550001"},
		{beijing, hk, false, "5550001"},
	} {
		if got := p.Present("5550001", tc.from, tc.to, tc.inDomain); got != tc.want {
			t.Errorf("%v → %v (in domain %v): %q, want %q", tc.from, tc.to, tc.inDomain, got, tc.want)
		}
	}
}

// TestAnalyse: longest prefix, length bounds, incomplete, vacant, barred,
// contexts falling back to the default.
func TestAnalyse(t *testing.T) {
	p := testPlan(t)
	for _, tc := range []struct {
		ctx, dialled string
		from         Location
		kind         Kind
		target       string
		err          error
	}{
		{"", "5550001", beijing, Subscriber, "", nil},
		{"", "8001", beijing, Group, "sales", nil},
		{"", "*89*5550001#", beijing, Feature, "intervention", nil},
		{"", "0216660001", beijing, Route, "to-sh", nil},
		{"", "6660001", shanghai, Route, "to-sh", nil},
		{"", "0085227770001", beijing, Route, "to-hk", nil},
		{"", "110", beijing, Route, "emergency", nil},
		{"", "555", beijing, 0, "", ErrIncomplete},
		{"", "55500011", beijing, 0, "", ErrVacant},
		{"", "4444", beijing, 0, "", ErrVacant},
		{"", "9001234", beijing, Reject, "", ErrBarred},
		{"lobby", "5550001", beijing, Reject, "", ErrBarred}, // the lobby's own entry
		{"lobby", "5550000", beijing, Subscriber, "", nil},   // longer prefix of the lobby
		{"lobby", "8001", beijing, Group, "sales", nil},      // falls back to default
		{"nosuch", "5550001", beijing, Subscriber, "", nil},  // unknown context: default
	} {
		r, err := p.Analyse(tc.ctx, tc.from, tc.dialled)
		if !errors.Is(err, tc.err) || (tc.kind != 0 && (r.Kind != tc.kind || r.Target != tc.target)) {
			t.Errorf("Analyse(%q, %v, %q) = %s %q, %v; want %s %q, %v", tc.ctx, tc.from, tc.dialled, r.Kind, r.Target, err, tc.kind, tc.target, tc.err)
		}
	}
}

// TestNewPlanRefuses: contradictory or dangling configuration.
func TestNewPlanRefuses(t *testing.T) {
	for name, cfg := range map[string]Config{
		"overlapping lengths":  {Entries: []Entry{{Prefix: "5", MinLen: 3, MaxLen: 5, Kind: Subscriber}, {Prefix: "5", MinLen: 5, Kind: Group, Target: "g"}}},
		"no kind":              {Entries: []Entry{{Prefix: "5"}}},
		"min above max":        {Entries: []Entry{{Prefix: "5", MinLen: 6, MaxLen: 5, Kind: Subscriber}}},
		"prefix above max":     {Entries: []Entry{{Prefix: "55555", MaxLen: 3, Kind: Subscriber}}},
		"unknown device":       {Entries: []Entry{{Prefix: "5", Kind: Route, Target: "r", Device: "nope"}}},
		"device twice":         {Devices: []Device{{Name: "a"}, {Name: "a"}}},
		"unknown table":        {Rules: []Binding{{Scope: ScopeGlobal, Tables: []string{"t"}}}},
		"table twice":          {Tables: []Table{{Name: "t"}, {Name: "t"}}},
		"global rules":         {Rules: []Binding{{Scope: ScopeGlobal, Rules: []Rule{{Which: Called}}}}},
		"rule without which":   {Rules: []Binding{{Scope: ScopeCallingNumber, Key: "1", Rules: []Rule{{Prefix: "9"}}}}},
		"replace with strip":   {Tables: []Table{{Name: "t", Rules: []Rule{{Which: Called, Strip: 1, Replace: new(string)}}}}},
		"binding twice":        {Rules: []Binding{{Scope: ScopeCalledNumber, Key: "1"}, {Scope: ScopeCalledNumber, Key: "1"}}},
		"unknown bound device": {Rules: []Binding{{Scope: ScopeTermDevice, Key: "gw"}}},
		"context loop":         {Inherit: map[string]string{"a": "b", "b": "a"}},
		"national under intl":  {NationalPrefix: "00", InternationalPrefix: "0"},
	} {
		if _, err := NewPlan(cfg); !errors.Is(err, ErrPlan) {
			t.Errorf("%s: NewPlan = %v, want ErrPlan", name, err)
		}
	}
}
