package dnd

import (
	"context"
	"testing"
	"time"

	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

var (
	_ services.Dialled     = (*Service)(nil)
	_ services.Codes       = (*Service)(nil)
	_ services.Terminating = (*Service)(nil)
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		dialled string
		want    Op
	}{
		{"*56#", On}, {"*56%23", On}, {"*56", On}, {"%2A56%23", On},
		{"#56#", Off}, {"%2356%23", Off}, {"#56", Off},
		{"*56*1#", Malformed}, {"#56*", Malformed}, {"#56##", Malformed},
		{"*561", None}, {"*57*1003#", None}, {"1056", None}, {"", None},
	} {
		if got := Parse(tc.dialled); got != tc.want {
			t.Errorf("Parse(%q) = %d, want %d", tc.dialled, got, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"*56#", "#56%23", "*56*", "%2A56"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dialled string) {
		if op := Parse(dialled); op > Malformed {
			t.Errorf("Parse(%q) = %d", dialled, op)
		}
	})
}

// TestDND: the configuration's default, the phone's setting beating it,
// a DND callee refused as busy, codes from a trunk refused.
func TestDND(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := New(Config{Subscribers: []string{"1002"}}, NewMemStore())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []struct {
		name            string
		caller, dialled string
		trunk           bool
		callee          string
		code            int // the refusal; 0 continue (or a feature for a code)
	}{
		{name: "on by configuration", callee: "1002", code: 486},
		{name: "off by default", callee: "1003"},
		{name: "phone turns it off", caller: "1002", dialled: "#56#"},
		{name: "the phone beats the configuration", callee: "1002"},
		{name: "phone turns it on", caller: "1003", dialled: "*56%23"},
		{name: "on by the phone", callee: "1003", code: 486},
		{name: "a trunk cannot", caller: "1004", dialled: "*56#", trunk: true, code: 403},
		{name: "malformed", caller: "1004", dialled: "*56*2#", code: 484},
	} {
		t.Run(st.name, func(t *testing.T) {
			var (
				v   services.Verdict
				err error
			)
			if st.dialled != "" {
				v, err = s.Dialled(ctx, &services.Call{Caller: st.caller, Subscriber: !st.trunk, Dialled: st.dialled})
				if err == nil && v.Kind == services.Feature {
					err = v.Apply(ctx)
				} else if err == nil && st.code == 0 {
					t.Errorf("code %s: %v, want a feature", st.dialled, v.Kind)
				}
			} else {
				v, err = s.Terminating(ctx, &services.Call{Caller: "1000", Callee: st.callee})
			}
			if err != nil {
				t.Fatal(err)
			}
			got := 0
			if v.Kind == services.Refuse {
				got, _, _ = sipx.StatusOf(v.Err)
			}
			if got != st.code {
				t.Errorf("verdict %v %v, want refusal %d", v.Kind, v.Err, st.code)
			}
		})
	}
	if _, err := New(Config{Subscribers: []string{"1002", "1002"}}, NewMemStore()); err == nil {
		t.Error("New accepted a subscriber listed twice")
	}
}
