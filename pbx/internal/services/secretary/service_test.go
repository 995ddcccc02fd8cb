package secretary

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

func status(v services.Verdict) int {
	if v.Kind != services.Refuse {
		return 0
	}
	c, _, _ := sipx.StatusOf(v.Err)
	return c
}

// TestSecretary: who is filtered, the codes, the phone beats the
// configuration.
func TestSecretary(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := New(Config{Bosses: map[string]Boss{
		"1002": {Secretary: "1003", Allowed: []string{"1004"}},
		"1005": {Secretary: "1003", Filter: SettingOff},
	}}, NewMemStore())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []struct {
		name     string
		caller   string
		dialled  string // a code dialled, else a call to callee
		trunk    bool
		callee   string
		diverted []string
		kind     services.VerdictKind
		number   string
		code     int
	}{
		{name: "a caller to the boss gets the secretary", caller: "1001", callee: "1002", kind: services.Divert, number: "1003"},
		{name: "a trunk's caller too", caller: "901234", callee: "1002", kind: services.Divert, number: "1003"},
		{name: "the allowed list rings the boss", caller: "1004", callee: "1002"},
		{name: "the secretary rings the boss", caller: "1003", callee: "1002"},
		{name: "the boss calling itself", caller: "1002", callee: "1002"},
		{name: "diverted from the secretary already", caller: "1001", callee: "1002", diverted: []string{"1003"}},
		{name: "no boss", caller: "1001", callee: "1004"},
		{name: "configured off", caller: "1001", callee: "1005"},
		{name: "boss turns it on", caller: "1005", dialled: "*53#", kind: services.Feature},
		{name: "on from the phone", caller: "1001", callee: "1005", kind: services.Divert, number: "1003"},
		{name: "boss turns it off", caller: "1002", dialled: "#53%23", kind: services.Feature},
		{name: "off from the phone", caller: "1001", callee: "1002"},
		{name: "no boss dials the code", caller: "1001", dialled: "*53#", code: 403},
		{name: "a trunk dials the code", caller: "1002", dialled: "*53#", trunk: true, code: 403},
		{name: "malformed", caller: "1002", dialled: "*53*1003#", code: 484},
		{name: "not a code", caller: "1002", dialled: "1003"},
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
				}
			} else {
				v, err = s.Terminating(ctx, &services.Call{Caller: st.caller, Callee: st.callee, Diverted: st.diverted})
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.code != 0 {
				if got := status(v); got != st.code {
					t.Fatalf("verdict %v %v, want refusal %d", v.Kind, v.Err, st.code)
				}
				return
			}
			if v.Kind != st.kind || v.Number != st.number {
				t.Errorf("verdict %v %q, want %v %q", v.Kind, v.Number, st.kind, st.number)
			}
			if v.Kind == services.Divert && v.Reason != Reason {
				t.Errorf("reason %q, want %q", v.Reason, Reason)
			}
		})
	}
}

// FuzzParse: the filtering code comes from the network (the
// Request-URI): Parse never panics and only takes numbers with 53.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"*53#", "#53%23", "*53*1", "%2A53", "#53##"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dialled string) {
		if op := Parse(dialled); op != services.ToggleNone && len(services.NormaliseCode(dialled)) < 3 {
			t.Errorf("Parse(%q) = %v for a number too short to be the code", dialled, op)
		}
	})
}

func TestConfigCheck(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want []string
	}{
		{Config{}, nil},
		{Config{Bosses: map[string]Boss{"1002": {Secretary: "1003", Allowed: []string{"1004"}, Filter: SettingOn}}}, nil},
		{Config{Bosses: map[string]Boss{
			"1002": {Secretary: "1002", Allowed: []string{"1004", "x", "1004"}, Filter: "maybe"},
			"1003": {},
		}}, []string{"bosses.1002.secretary", "bosses.1002.allowed[1]", "bosses.1002.allowed[2]", "bosses.1002.filter", "bosses.1003.secretary"}},
	} {
		ps := tc.cfg.Check()
		var got []string
		for _, p := range ps {
			got = append(got, p.Field)
		}
		if len(got) != len(tc.want) {
			t.Errorf("Check(%+v) = %v, want fields %v", tc.cfg, ps, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("Check(%+v) = %v, want fields %v", tc.cfg, ps, tc.want)
			}
		}
	}
	if _, err := New(Config{Bosses: map[string]Boss{"1002": {}}}, NewMemStore()); err == nil {
		t.Error("New accepted a boss without a secretary")
	}
}
