package conform

import (
	"fmt"
	"slices"
	"strings"

	"pbxlab/features"
)

// Plan is what a run selects: the godog tag expression, the scenarios it
// runs, the kind's must-run scenarios, and every scenario left out with
// the reason.
type Plan struct {
	// Expr is the tag expression given to godog.
	Expr string
	// Selected are the scenarios Expr selects, in file order.
	Selected []features.Scenario
	// MustRun are the kind's must-run scenarios (all in Selected).
	MustRun []features.Scenario
	// Excluded are the scenarios that do not run, and why.
	Excluded []Exclusion
	// AddedBack are the must-run scenarios the user's tags did not
	// select: they run all the same.
	AddedBack []features.Scenario
}

// Exclusion is a scenario a run leaves out.
type Exclusion struct {
	Scenario features.Scenario
	Reason   string
}

// IsMustRun reports whether the scenario with id is on the must-run list.
func (p Plan) IsMustRun(id string) bool {
	return slices.ContainsFunc(p.MustRun, func(s features.Scenario) bool { return s.ID() == id })
}

// Tags of the suite the plan relies on.
const (
	tagWIP       = "@wip"
	tagInProcess = "@in-process"
)

// NewPlan selects the scenarios for a target: every scenario but @wip
// ones, those needing configuration control (@in-process: a target
// reached by address cannot be reconfigured) and those needing a
// capability the profile does not offer; userTags (a godog expression)
// narrows that further; then every must-run scenario of the kind is added
// back, whatever userTags says. It fails with ErrMustRun if a must-run
// scenario is unknown or the profile excludes it, and with ErrUsage on a
// bad expression.
func NewPlan(p *Profile, userTags string) (Plan, error) {
	kind, ok := KindByName(p.Kind)
	if !ok {
		return Plan{}, fmt.Errorf("plan %s: %w: unknown kind %q", p.Name, ErrUsage, p.Kind)
	}
	if err := features.ValidateTags(userTags); err != nil {
		return Plan{}, fmt.Errorf("plan %s: %w: %w", p.Name, ErrUsage, err)
	}
	all, err := features.List("")
	if err != nil {
		return Plan{}, fmt.Errorf("plan %s: %w", p.Name, err)
	}
	universe := map[string]bool{}
	for _, s := range all {
		for _, t := range s.Tags {
			universe[t] = true
		}
	}
	base := []string{"~" + tagWIP, "~" + tagInProcess}
	for _, t := range sortedSet(universe) {
		if c, ok := strings.CutPrefix(t, "@cap-"); ok && !p.Offers(c) {
			base = append(base, "~"+t)
		}
	}
	var clauses [][]string
	if user := features.Clauses(userTags); len(user) > 0 {
		for _, u := range user {
			clauses = append(clauses, append(slices.Clone(base), u...))
		}
	} else {
		clauses = [][]string{base}
	}

	byID := map[string]features.Scenario{}
	for _, s := range all {
		byID[s.ID()] = s
	}
	var plan Plan
	for _, id := range kind.MustRun {
		s, ok := byID[id]
		if !ok {
			return Plan{}, fmt.Errorf("plan %s: %w %q of kind %s: no such scenario in the suite", p.Name, ErrMustRun, id, kind.Name)
		}
		if why := excludedByProfile(s, p); why != "" {
			return Plan{}, fmt.Errorf("plan %s: %w %q of kind %s: %s", p.Name, ErrMustRun, id, kind.Name, why)
		}
		plan.MustRun = append(plan.MustRun, s)
	}
	selected, err := features.List(features.JoinClauses(clauses))
	if err != nil {
		return Plan{}, fmt.Errorf("plan %s: %w", p.Name, err)
	}
	// Add back the must-run scenarios userTags dropped: a clause matching
	// exactly the scenarios with the same tags.
	for _, m := range plan.MustRun {
		if containsScenario(selected, m.ID()) {
			continue
		}
		exact := slices.Clone(m.Tags)
		for _, t := range sortedSet(universe) {
			if !m.HasTag(t) {
				exact = append(exact, "~"+t)
			}
		}
		clauses = append(clauses, exact)
		plan.AddedBack = append(plan.AddedBack, m)
	}
	plan.Expr = features.JoinClauses(clauses)
	if plan.Selected, err = features.List(plan.Expr); err != nil {
		return Plan{}, fmt.Errorf("plan %s: %w", p.Name, err)
	}
	for _, m := range plan.MustRun {
		if !containsScenario(plan.Selected, m.ID()) {
			return Plan{}, fmt.Errorf("plan %s: %w %q: the tag expression %q does not select it", p.Name, ErrMustRun, m.ID(), plan.Expr)
		}
	}
	for _, s := range all {
		if containsScenario(plan.Selected, s.ID()) {
			continue
		}
		why := excludedByProfile(s, p)
		if why == "" {
			why = "not selected by --tags " + strings.TrimSpace(userTags)
		}
		plan.Excluded = append(plan.Excluded, Exclusion{Scenario: s, Reason: why})
	}
	return plan, nil
}

// excludedByProfile says why the profile (not the user's tags) leaves s
// out, "" if it does not.
func excludedByProfile(s features.Scenario, p *Profile) string {
	switch {
	case s.HasTag(tagWIP):
		return "waits on a PBX fix (@wip)"
	case s.HasTag(tagInProcess):
		return "changes the target's configuration (@in-process): runs only in-process"
	}
	var lacks []string
	for _, c := range s.Capabilities() {
		if !p.Offers(c) {
			lacks = append(lacks, "@cap-"+c)
		}
	}
	if len(lacks) > 0 {
		return "the profile does not offer " + strings.Join(lacks, ", ")
	}
	return ""
}

func containsScenario(list []features.Scenario, id string) bool {
	return slices.ContainsFunc(list, func(s features.Scenario) bool { return s.ID() == id })
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
