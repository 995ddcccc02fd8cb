package pbx_test

import (
	"context"
	"testing"
	"time"

	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// TestNumberAnalysisAndSubstitution: calls go where number analysis says,
// after substitution before and after it, and the callee is shown the
// substituted calling number (the CDR keeps the caller's own).
func TestNumberAnalysisAndSubstitution(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := startPBX(t, func(c *config.Config) {
		c.Media.Prompts = map[string]config.Prompt{} // plain final errors, no voice prompt first
		for _, cause := range config.PromptCauses() {
			c.Media.Prompts[cause] = config.Prompt{}
		}
		c.Services.Hunt.Groups = []config.HuntGroup{{Name: "sales", Members: []string{"1099"}}} // never registered
		c.Numbering = config.Numbering{
			Country: "86", Area: "10",
			Entries: []config.NumberingEntry{
				{Prefix: "800", Kind: "reject", Cause: 403},
				{Prefix: "77", Min: 4, Max: 4, Kind: "group", Target: "sales"},
			},
			Tables: []config.NumberingTable{{Name: "outside-line", Rules: []config.NumberingRule{{Number: "called", Prefix: "9", Min: 5, Strip: 1}}}},
			Bindings: []config.NumberingBinding{
				{Scope: "global", Tables: []string{"outside-line"}},
				{Scope: "calling-number", Key: "1000", Rules: []config.NumberingRule{{Number: "calling", Prepend: "88"}}},
			},
		}
	}, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1002")

	ring := func(from, dialled, callee, wantFrom string) {
		t.Helper()
		c, err := ps[from].Dial(ctx, dialled)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitAnswer(ctx); err != nil {
			t.Fatalf("%s dials %s: %v (code %d)", from, dialled, err, c.Code())
		}
		inc := ps[callee].nextIncoming(ctx, t)
		if got := inc.Remote(); got != wantFrom {
			t.Errorf("%s dials %s: %s is shown %q, want %q", from, dialled, callee, got, wantFrom)
		}
		if err := c.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := inc.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// before analysis: the LS-global table strips the outside-line 9;
	// after it: 1000's own rule shows it as 881000
	ring("1000", "91001", "1001", "881000")
	// the national form of our own area reaches the subscriber (Table 1-1)
	ring("1002", "0101001", "1001", "1002")
	ring("1002", "0086101001", "1001", "1002")

	for _, tc := range []struct {
		dialled string
		want    int
	}{
		{"100", 484},   // may still grow into 1000..1099
		{"8001", 403},  // a rejecting entry, its cause
		{"7701", 480},  // a hunt group whose one member is not registered
		{"5555", 404},  // vacant
		{"01010", 484}, // the national form, still incomplete
	} {
		c, err := ps["1002"].Dial(ctx, tc.dialled)
		if err != nil {
			t.Fatal(err)
		}
		end, err := c.Wait(ctx)
		if err != nil {
			t.Fatalf("1002 dials %s: %v (provisional %v, state %s)", tc.dialled, err, c.Provisional(), c.State())
		}
		if end.Code != tc.want {
			t.Errorf("1002 dials %s: ended %+v, want %d", tc.dialled, end, tc.want)
		}
	}
	cdrs := waitCDRs(ctx, t, in, func(rs []pbx.CDR) bool {
		for _, r := range rs {
			if r.Caller == "1000" && r.Callee == "1001" && r.Disposition != pbx.InProgress {
				return true
			}
		}
		return false
	})
	for _, r := range cdrs {
		if r.Callee == "1001" && r.Caller != "1000" && r.Caller != "1002" {
			t.Errorf("CDR caller %q: the CDR keeps the caller's own number", r.Caller)
		}
	}
}
