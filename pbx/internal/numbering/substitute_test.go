package numbering

import (
	"fmt"
	"testing"
)

// levelBinding binds, at level lv, one rule for each number that prepends
// the level's tag: "L<n>-".
func levelBinding(lv Level, c Call) (Binding, *Table) {
	tag := fmt.Sprintf("L%d-", lv)
	rules := []Rule{{Which: Calling, Prepend: tag}, {Which: Called, Prepend: tag}}
	table := &Table{Name: fmt.Sprintf("t%d", lv), Rules: rules}
	switch lv {
	case CalledNumberRules:
		return Binding{Scope: ScopeCalledNumber, Key: c.Called, Rules: rules}, nil
	case CalledNumberTables:
		return Binding{Scope: ScopeCalledNumber, Key: c.Called, Tables: []string{table.Name}}, table
	case TermDeviceRules:
		return Binding{Scope: ScopeTermDevice, Key: c.TermDevice, Rules: rules}, nil
	case TermDeviceTables:
		return Binding{Scope: ScopeTermDevice, Key: c.TermDevice, Tables: []string{table.Name}}, table
	case CallingNumberRules:
		return Binding{Scope: ScopeCallingNumber, Key: c.Calling, Rules: rules}, nil
	case CallingNumberTables:
		return Binding{Scope: ScopeCallingNumber, Key: c.Calling, Tables: []string{table.Name}}, table
	case OrigDeviceRules:
		return Binding{Scope: ScopeOrigDevice, Key: c.OrigDevice, Rules: rules}, nil
	case OrigDeviceTables:
		return Binding{Scope: ScopeOrigDevice, Key: c.OrigDevice, Tables: []string{table.Name}}, table
	case GlobalTables:
		return Binding{Scope: ScopeGlobal, Tables: []string{table.Name}}, table
	}
	return Binding{}, nil
}

// planWith binds rules at the given levels (rules and tables at the same
// scope share one binding).
func planWith(t *testing.T, c Call, levels []Level) *Plan {
	t.Helper()
	merged := map[[2]string]*Binding{}
	var order [][2]string
	var tables []Table
	for _, lv := range levels {
		if lv == LocationBased {
			continue
		}
		b, tb := levelBinding(lv, c)
		if tb != nil {
			tables = append(tables, *tb)
		}
		k := [2]string{b.Scope.String(), b.Key}
		if m, ok := merged[k]; ok {
			m.Rules = append(m.Rules, b.Rules...)
			m.Tables = append(m.Tables, b.Tables...)
			continue
		}
		merged[k] = &b
		order = append(order, k)
	}
	var bs []Binding
	for _, k := range order {
		bs = append(bs, *merged[k])
	}
	p, err := NewPlan(Config{
		Home: Location{"86", "10"}, NationalPrefix: "0", InternationalPrefix: "00",
		Devices: []Device{{Name: "og-in", Location: Location{"86", "10"}, InDomain: true}, {Name: "gw-out", Location: Location{"86", "21"}, InDomain: true}},
		Rules:   bs, Tables: tables,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPrecedence holds every row of both of the manual's lists: with rules
// at a level and at every level below it, the level's rule applies — to
// the calling and to the called number each — and the lower ones are not
// consulted; a level whose rules do not match the number is passed over.
func TestPrecedence(t *testing.T) {
	c := Call{Calling: "5550001", Called: "5550002", OrigDevice: "og-in", TermDevice: "gw-out", CallerInDomain: true,
		CallerAt: Location{"86", "10"}, CalleeAt: Location{"86", "21"}, CalledLocal: "5550002"}
	for _, stage := range []Stage{Before, After} {
		levels := Levels(stage)
		for i, lv := range levels {
			t.Run(fmt.Sprintf("stage %d row %d %s", stage, i+1, lv), func(t *testing.T) {
				p := planWith(t, c, levels[i:])
				got, ap := p.Substitute(c, stage)
				wantCalling, wantCalled := fmt.Sprintf("L%d-%s", lv, c.Calling), fmt.Sprintf("L%d-%s", lv, c.Called)
				wantApplied := Applied{Calling: lv, Called: lv}
				if lv == LocationBased {
					// Table 1-2: Beijing caller, Shanghai callee, same country
					wantCalling, wantCalled = "010"+c.Calling, c.Called
					wantApplied = Applied{Calling: LocationBased}
				}
				if stage == Before {
					// before analysis the called number only
					wantCalling, wantApplied.Calling = c.Calling, 0
				}
				if got.Calling != wantCalling || got.Called != wantCalled {
					t.Errorf("got calling %q called %q, want %q %q", got.Calling, got.Called, wantCalling, wantCalled)
				}
				if ap != wantApplied {
					t.Errorf("applied %+v, want %+v", ap, wantApplied)
				}
			})
		}
	}
}

// TestPrecedenceNumbersIndependent: the calling number's highest matching
// level and the called number's are found apart.
func TestPrecedenceNumbersIndependent(t *testing.T) {
	c := Call{Calling: "5550001", Called: "5550002", OrigDevice: "og-in", TermDevice: "gw-out", CallerInDomain: true}
	p, err := NewPlan(Config{
		Devices: []Device{{Name: "og-in", InDomain: true}, {Name: "gw-out"}},
		Rules: []Binding{
			{Scope: ScopeCalledNumber, Key: "5550002", Rules: []Rule{{Which: Called, Prepend: "A"}}},
			{Scope: ScopeOrigDevice, Key: "og-in", Rules: []Rule{{Which: Calling, Prepend: "B"}, {Which: Called, Prepend: "X"}}},
			{Scope: ScopeTermDevice, Key: "gw-out", Rules: []Rule{{Which: Called, Prefix: "9", Prepend: "never"}}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, ap := p.Substitute(c, After)
	if got.Calling != "B5550001" || got.Called != "A5550002" || ap.Calling != OrigDeviceRules || ap.Called != CalledNumberRules {
		t.Errorf("got %q %q (%v)", got.Calling, got.Called, ap)
	}
}

// TestBeforeAnalysisOutsideDomain: a caller outside the LS domain gets the
// LS-global tables only.
func TestBeforeAnalysisOutsideDomain(t *testing.T) {
	c := Call{Calling: "5550001", Called: "95550002", OrigDevice: "og-in"}
	p := planWith(t, c, Levels(Before))
	got, ap := p.Substitute(c, Before)
	if want := fmt.Sprintf("L%d-", GlobalTables); got.Calling != c.Calling || got.Called != want+c.Called || ap.Called != GlobalTables {
		t.Errorf("got %q %q (%v), want the global tables' rewrite", got.Calling, got.Called, ap)
	}
}

// TestRuleApply: strip, prepend, replace and the length bounds.
func TestRuleApply(t *testing.T) {
	rep := "0086"
	for _, tc := range []struct {
		rule    Rule
		in, out string
		match   bool
	}{
		{Rule{Which: Called, Prefix: "9", Strip: 1}, "95551234", "5551234", true},
		{Rule{Which: Called, Prefix: "9", Strip: 1, Prepend: "010"}, "95551234", "0105551234", true},
		{Rule{Which: Called, Prefix: "+86", Replace: &rep}, "+8610555", "008610555", true},
		{Rule{Which: Called, Prefix: "9", MinLen: 8}, "9555123", "", false},
		{Rule{Which: Called, Prefix: "9", MaxLen: 4}, "95551", "", false},
		{Rule{Which: Called, Strip: 20}, "123", "", true},
	} {
		if got := tc.rule.Matches(tc.in); got != tc.match {
			t.Errorf("%+v matches %q = %v", tc.rule, tc.in, got)
			continue
		}
		if tc.match {
			if got := tc.rule.Apply(tc.in); got != tc.out {
				t.Errorf("%+v applied to %q = %q, want %q", tc.rule, tc.in, got, tc.out)
			}
		}
	}
}
