package numbering

import (
	"fmt"
)

// Level is one rung of the manual's precedence lists.
type Level int

// The levels, as the manual names them.
const (
	CalledNumberRules Level = iota + 1
	CalledNumberTables
	TermDeviceRules
	TermDeviceTables
	CallingNumberRules
	CallingNumberTables
	OrigDeviceRules
	OrigDeviceTables
	GlobalTables
	LocationBased
)

var levelNames = map[Level]string{
	CalledNumberRules: "called-number rules", CalledNumberTables: "called-number tables",
	TermDeviceRules: "terminating-device rules", TermDeviceTables: "terminating-device tables",
	CallingNumberRules: "calling-number rules", CallingNumberTables: "calling-number tables",
	OrigDeviceRules: "originating-device rules", OrigDeviceTables: "originating-device tables",
	GlobalTables: "LS-global tables", LocationBased: "location-based substitution",
}

func (l Level) String() string { return levelNames[l] }

// Stage is when substitution runs: before or after number analysis.
type Stage int

// The two stages.
const (
	Before Stage = iota + 1
	After
)

// Levels is the manual's precedence list of a stage. Before analysis, for a
// caller inside the LS domain: calling-number rules > calling-number
// tables > calling-device rules > originating-device tables > LS-global
// tables (a caller outside it has the LS-global tables only). After
// analysis: called-number rules > called-number tables > terminating-device
// rules > terminating-device tables > calling-number rules > calling-number
// tables > originating-device rules > originating-device tables > LS-global
// tables > location-based substitution.
func Levels(s Stage) []Level {
	l := levelsOf(s)
	return append([]Level(nil), l...)
}

// the lists, read-only (Levels hands out copies)
var (
	beforeLevels = [...]Level{CallingNumberRules, CallingNumberTables, OrigDeviceRules, OrigDeviceTables, GlobalTables}
	afterLevels  = [...]Level{CalledNumberRules, CalledNumberTables, TermDeviceRules, TermDeviceTables,
		CallingNumberRules, CallingNumberTables, OrigDeviceRules, OrigDeviceTables, GlobalTables, LocationBased}
)

func levelsOf(s Stage) []Level {
	if s == Before {
		return beforeLevels[:]
	}
	return afterLevels[:]
}

// substitution holds the bound rules and tables.
type substitution struct {
	tables   map[string][]Rule
	bindings map[Scope]map[string]Binding
}

func newSubstitution(bs []Binding, ts []Table, devices map[string]Device) (substitution, error) {
	s := substitution{tables: map[string][]Rule{}, bindings: map[Scope]map[string]Binding{}}
	for i, t := range ts {
		if _, dup := s.tables[t.Name]; dup || t.Name == "" {
			return s, planErr(fmt.Sprintf("tables[%d].name", i), "table %q: empty or defined twice", t.Name)
		}
		for j, r := range t.Rules {
			if err := r.check(); err != nil {
				return s, planErr(fmt.Sprintf("tables[%d].rules[%d]", i, j), "%s", err.Error())
			}
		}
		s.tables[t.Name] = t.Rules
	}
	for i, b := range bs {
		field := fmt.Sprintf("bindings[%d]", i)
		if _, ok := scopeNames[b.Scope]; !ok {
			return s, planErr(field+".scope", "binding of %q: no scope", b.Key)
		}
		if (b.Scope == ScopeOrigDevice || b.Scope == ScopeTermDevice) && devices[b.Key].Name == "" {
			return s, planErr(field+".key", "%s binding: unknown device %q", b.Scope, b.Key)
		}
		if b.Scope == ScopeGlobal && len(b.Rules) > 0 {
			return s, planErr(field+".rules", "the LS binds tables only (the manual's \"LS-global tables\"), not rules")
		}
		for j, r := range b.Rules {
			if err := r.check(); err != nil {
				return s, planErr(fmt.Sprintf("%s.rules[%d]", field, j), "%s", err.Error())
			}
		}
		for j, t := range b.Tables {
			if _, ok := s.tables[t]; !ok {
				return s, planErr(fmt.Sprintf("%s.tables[%d]", field, j), "unknown table %q", t)
			}
		}
		m := s.bindings[b.Scope]
		if m == nil {
			m = map[string]Binding{}
			s.bindings[b.Scope] = m
		}
		if _, dup := m[b.Key]; dup {
			return s, planErr(field+".key", "%s %q bound twice", b.Scope, b.Key)
		}
		m[b.Key] = b
	}
	return s, nil
}

// Call is what substitution looks at: the two numbers and where the call
// comes from and goes to.
type Call struct {
	Calling, Called string
	// OrigDevice is the device the call came from ("" for a subscriber of
	// the PBX itself); TermDevice the device analysis found ("" likewise).
	OrigDevice, TermDevice string
	// CallerInDomain: the caller is inside the LS domain.
	CallerInDomain bool
	// CallerAt and CalleeAt are the locations for location-based
	// substitution (after analysis).
	CallerAt, CalleeAt Location
	// CalledLocal is the subscriber number analysis found within
	// CalleeAt (Result.Called): location-based substitution's called
	// number.
	CalledLocal string
}

// Applied says which level changed a number (0: none).
type Applied struct {
	Calling, Called Level
}

// Substitute rewrites the numbers of c with the levels of stage, each
// number on its own: the first level holding a rule that matches the
// number applies, the rest are not consulted. Before analysis only the
// called number is rewritten (what was dialled, into what analysis
// understands: an outside-line digit stripped, a short form expanded), and
// a caller outside the LS domain has the LS-global tables only; after
// analysis both are, the calling number ending in the manual's Table 1-2.
// Bindings are found by the numbers the call started with (c.Calling, and
// c.CalledLocal — the subscriber number analysis found — else c.Called),
// so a rule applied before analysis does not hide its binding after it,
// and no rule applies twice to the calling number (project default).
func (p *Plan) Substitute(c Call, stage Stage) (Call, Applied) {
	var ap Applied
	out := c
	if stage == After {
		out.Calling, ap.Calling = p.substituteOne(c, stage, Calling, c.Calling)
	}
	out.Called, ap.Called = p.substituteOne(c, stage, Called, c.Called)
	return out, ap
}

func (p *Plan) substituteOne(c Call, stage Stage, which Which, number string) (string, Level) {
	for _, lv := range levelsOf(stage) {
		if stage == Before && !c.CallerInDomain && lv != GlobalTables {
			continue
		}
		if lv == LocationBased {
			return p.locationBased(c, which, number)
		}
		for _, rs := range p.levelRules(c, lv) {
			if r, ok := first(rs, which, number); ok {
				return r.Apply(number), lv
			}
		}
	}
	return number, 0
}

// levelRules returns the rule lists of one level for call c, in order.
func (p *Plan) levelRules(c Call, lv Level) [][]Rule {
	var scope Scope
	key := ""
	tables := false
	switch lv {
	case CalledNumberRules, CalledNumberTables:
		key = c.Called
		if c.CalledLocal != "" {
			key = c.CalledLocal
		}
		scope, tables = ScopeCalledNumber, lv == CalledNumberTables
	case TermDeviceRules, TermDeviceTables:
		scope, key, tables = ScopeTermDevice, c.TermDevice, lv == TermDeviceTables
	case CallingNumberRules, CallingNumberTables:
		scope, key, tables = ScopeCallingNumber, c.Calling, lv == CallingNumberTables
	case OrigDeviceRules, OrigDeviceTables:
		scope, key, tables = ScopeOrigDevice, c.OrigDevice, lv == OrigDeviceTables
	case GlobalTables:
		scope, tables = ScopeGlobal, true
	default:
		return nil
	}
	if key == "" && scope != ScopeGlobal {
		return nil
	}
	b, ok := p.subst.bindings[scope][key]
	if !ok {
		return nil
	}
	if !tables {
		return [][]Rule{b.Rules}
	}
	out := make([][]Rule, 0, len(b.Tables))
	for _, t := range b.Tables {
		out = append(out, p.subst.tables[t])
	}
	return out
}

// locationBased is the last level: the called number becomes the
// subscriber number analysis found in the callee's location (the codes the
// caller dialled stripped, c.CalledLocal), and the calling number is
// presented per Table 1-2.
func (p *Plan) locationBased(c Call, which Which, number string) (string, Level) {
	out := number
	if which == Called {
		if c.CalledLocal != "" {
			out = c.CalledLocal
		}
	} else {
		out = p.Present(number, c.CallerAt, c.CalleeAt, c.CallerInDomain)
	}
	if out == number {
		return number, 0
	}
	return out, LocationBased
}
