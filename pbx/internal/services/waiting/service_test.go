package waiting

import (
	"context"
	"errors"
	"testing"
	"time"

	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

var (
	_ services.Dialled     = (*Service)(nil)
	_ services.Codes       = (*Service)(nil)
	_ services.Terminating = (*Service)(nil)
	_ services.Member      = (*Service)(nil)
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		dialled string
		want    Op
	}{
		{"*58#", On}, {"*58%23", On}, {"*58", On}, {"%2A58%23", On},
		{"#58#", Off}, {"%2358%23", Off}, {"#58", Off},
		{"*58*1#", Malformed}, {"#58*", Malformed}, {"#58##", Malformed}, {"*58##", Malformed},
		{"*581", None}, {"*56#", None}, {"1058", None}, {"", None},
	} {
		if got := Parse(tc.dialled); got != tc.want {
			t.Errorf("Parse(%q) = %d, want %d", tc.dialled, got, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"*58#", "#58%23", "*58*", "%2A58", "#58##"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dialled string) {
		op := Parse(dialled)
		if op > Malformed {
			t.Errorf("Parse(%q) = %d", dialled, op)
		}
		if (op == On || op == Off) && len(dialled) > 9 {
			t.Errorf("Parse(%q) = %d for a long number", dialled, op)
		}
	})
}

// lineSet is Lines over a set.
type lineSet map[string]bool

func (l lineSet) InCall(n string) bool { return l[n] }

// TestWaiting: the busy decision for a callee in a call by the default,
// the configuration per subscriber, the phone's setting beating both;
// codes from a trunk refused, malformed codes 484.
func TestWaiting(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	busy := lineSet{"1002": true, "1003": true, "1004": true}
	s, err := New(Config{Subscribers: map[string]Setting{"1003": SettingOff}}, NewMemStore(), busy)
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
		{name: "idle callee rings", callee: "1005"},
		{name: "in a call, default on: rings", callee: "1002"},
		{name: "in a call, off by configuration: busy", callee: "1003", code: 486},
		{name: "phone turns it on", caller: "1003", dialled: "*58#"},
		{name: "the phone beats the configuration", callee: "1003"},
		{name: "phone turns it off", caller: "1004", dialled: "%2358%23"},
		{name: "off by the phone: busy", callee: "1004", code: 486},
		{name: "off but idle: rings", caller: "1005", dialled: "#58"},
		{name: "idle with waiting off", callee: "1005"},
		{name: "a trunk cannot", caller: "1006", dialled: "*58#", trunk: true, code: 403},
		{name: "malformed", caller: "1006", dialled: "*58*2#", code: 484},
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
				if got == 486 && !errors.Is(v.Err, ErrBusy) {
					t.Errorf("486 %v, want ErrBusy", v.Err)
				}
			}
			if got != st.code {
				t.Errorf("verdict %v %v, want refusal %d", v.Kind, v.Err, st.code)
			}
		})
	}
}

// TestDefaultOff: services.waiting.default off makes every subscriber in a
// call busy unless listed on.
func TestDefaultOff(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := New(Config{Default: SettingOff, Subscribers: map[string]Setting{"1003": SettingOn}}, NewMemStore(), lineSet{"1002": true, "1003": true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		member string
		busy   bool
	}{{"1002", true}, {"1003", false}, {"1004", false}} {
		if got, err := s.MemberBusy(ctx, tc.member); err != nil || got != tc.busy {
			t.Errorf("MemberBusy(%s) = %v %v, want %v", tc.member, got, err, tc.busy)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   Config
		field string
	}{
		{"empty", Config{}, ""},
		{"off", Config{Default: SettingOff}, ""},
		{"bad default", Config{Default: "yes"}, "default"},
		{"bad setting", Config{Subscribers: map[string]Setting{"1002": "maybe"}}, "subscribers.1002"},
		{"bad number", Config{Subscribers: map[string]Setting{"abc": SettingOn}}, "subscribers.abc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := tc.cfg.Check()
			switch {
			case tc.field == "" && len(ps) > 0:
				t.Errorf("Check = %v, want none", ps)
			case tc.field != "" && (len(ps) == 0 || ps[0].Field != tc.field):
				t.Errorf("Check = %v, want a problem at %s", ps, tc.field)
			}
			if _, err := New(tc.cfg, NewMemStore(), nil); (err != nil) != (tc.field != "") {
				t.Errorf("New: %v", err)
			}
		})
	}
}
