package conform

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"pbxlab/features"
)

func mustProfile(t *testing.T, yaml string) *Profile {
	t.Helper()
	p, err := ParseProfile("t.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const proxyProfile = "name: proxy\nkind: proxy-registrar\nsubscriber_ranges: [{from: '1000', to: '1099', password: 'pw{n}'}]\ncapabilities: [registrar, calls, auth]\n"

// TestKindsMustRunListsAreRunnable: every must-run scenario exists, can
// run on a target reached by address (not @in-process, not @wip) and needs
// only the capabilities its kind requires.
func TestKindsMustRunListsAreRunnable(t *testing.T) {
	all, err := features.List("")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]features.Scenario{}
	for _, s := range all {
		byID[s.ID()] = s
	}
	for _, k := range Kinds() {
		if len(k.MustRun) < 5 {
			t.Errorf("kind %s: only %d must-run scenarios", k.Name, len(k.MustRun))
		}
		for _, id := range k.MustRun {
			s, ok := byID[id]
			if !ok {
				t.Errorf("kind %s: must-run %q is no scenario of the suite", k.Name, id)
				continue
			}
			if s.HasTag(tagInProcess) || s.HasTag(tagWIP) {
				t.Errorf("kind %s: must-run %q cannot run on a live target (%v)", k.Name, id, s.Tags)
			}
			for _, c := range s.Capabilities() {
				if !slices.Contains(k.Requires, c) {
					t.Errorf("kind %s: must-run %q needs @cap-%s, which the kind does not require", k.Name, id, c)
				}
			}
		}
	}
}

// TestEveryCapabilityTagIsKnown: the profile accepts every @cap- tag the
// suite uses.
func TestEveryCapabilityTagIsKnown(t *testing.T) {
	all, err := features.List("")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		for _, c := range s.Capabilities() {
			if !slices.Contains(KnownCapabilities(), c) && !serviceRE.MatchString(c) {
				t.Errorf("%s: @cap-%s is not a capability a profile can offer", s.ID(), c)
			}
		}
	}
}

func ids(ss []features.Scenario) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.ID())
	}
	return out
}

func TestPlanFollowsTheProfile(t *testing.T) {
	plan, err := NewPlan(mustProfile(t, proxyProfile), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range plan.Selected {
		for _, c := range s.Capabilities() {
			if !slices.Contains([]string{"registrar", "calls", "auth"}, c) {
				t.Errorf("%s needs @cap-%s, which the profile does not offer", s.ID(), c)
			}
		}
		if s.HasTag(tagInProcess) {
			t.Errorf("%s needs configuration control", s.ID())
		}
	}
	reasons := map[string]string{}
	for _, e := range plan.Excluded {
		reasons[e.Scenario.ID()] = e.Reason
	}
	if r := reasons["calls/forking.feature / Both devices ring and the first to answer wins"]; r != "the profile does not offer @cap-forking" {
		t.Errorf("forking left out because %q", r)
	}
	if r := reasons["calls/redirect.feature / 301 carries the registered contact and the caller calls it directly"]; !strings.Contains(r, "@in-process") {
		t.Errorf("redirect left out because %q", r)
	}
	all, _ := features.List("")
	if len(plan.Selected)+len(plan.Excluded) != len(all) || len(plan.MustRun) != 7 {
		t.Errorf("%d selected + %d excluded of %d; %d must-run", len(plan.Selected), len(plan.Excluded), len(all), len(plan.MustRun))
	}
}

// TestTagsNarrowButKeepMustRun: --tags leaves out what it does not
// select, except the must-run scenarios, which are added back.
func TestTagsNarrowButKeepMustRun(t *testing.T) {
	p := mustProfile(t, proxyProfile)
	plan, err := NewPlan(p, "@manual")
	if err != nil {
		t.Fatal(err)
	}
	got := ids(plan.Selected)
	for _, m := range plan.MustRun {
		if !slices.Contains(got, m.ID()) {
			t.Errorf("must-run %s dropped by --tags", m.ID())
		}
	}
	for _, s := range plan.Selected {
		if !s.HasTag("@manual") && !plan.IsMustRun(s.ID()) {
			t.Errorf("%s selected: neither @manual nor must-run", s.ID())
		}
	}
	excludedByTags := 0
	for _, e := range plan.Excluded {
		if strings.HasPrefix(e.Reason, "not selected by --tags @manual") {
			excludedByTags++
		}
	}
	if excludedByTags == 0 {
		t.Errorf("nothing left out by --tags: %+v", plan.Excluded)
	}
	// An expression that selects nothing but the must-run list.
	only, err := NewPlan(p, "@no-such-tag")
	if err != nil {
		t.Fatal(err)
	}
	if len(only.AddedBack) != len(only.MustRun) || len(plan.AddedBack) == 0 || len(plan.AddedBack) >= len(plan.MustRun) {
		t.Errorf("added back: %d of %d with a tag nothing has, %d with @manual", len(only.AddedBack), len(only.MustRun), len(plan.AddedBack))
	}
	if len(only.Selected) != len(only.MustRun) {
		t.Errorf("with a tag nothing has: %d selected, %d must-run: %v", len(only.Selected), len(only.MustRun), ids(only.Selected))
	}
}

func TestPlanErrors(t *testing.T) {
	p := mustProfile(t, proxyProfile)
	if _, err := NewPlan(p, "@a &&"); !errors.Is(err, ErrUsage) {
		t.Errorf("bad tags: %v", err)
	}
	lacking := *p
	lacking.Capabilities = []string{"registrar", "calls"} // a profile built in Go, not validated
	if _, err := NewPlan(&lacking, ""); !errors.Is(err, ErrMustRun) || !strings.Contains(err.Error(), "@cap-auth") {
		t.Errorf("a profile excluding a must-run scenario: %v", err)
	}
	unknown := *p
	unknown.Kind = "sbc"
	if _, err := NewPlan(&unknown, ""); !errors.Is(err, ErrUsage) {
		t.Errorf("unknown kind: %v", err)
	}
}
