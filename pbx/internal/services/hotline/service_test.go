package hotline

import (
	"context"
	"testing"
	"time"

	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

var (
	_ services.Dialled = (*Service)(nil)
	_ services.Codes   = (*Service)(nil)
)

func status(v services.Verdict) int {
	if v.Kind != services.Refuse {
		return 0
	}
	c, _, _ := sipx.StatusOf(v.Err)
	return c
}

// TestHotline: the codes set and clear, the phone beats the
// configuration, the off-hook number is rewritten for an immediate line,
// Line gives the delayed one its wait.
func TestHotline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := New(Config{Delay: 3 * time.Second, Subscribers: map[string]Line{
		"1002": {Number: "1003"},
		"1004": {Number: "1005", Mode: Delayed},
		"1006": {Number: "1007", Mode: Delayed, Delay: 2 * time.Second},
	}}, NewMemStore())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []struct {
		name    string
		caller  string
		dialled string
		trunk   bool
		kind    services.VerdictKind
		number  string
		code    int
		line    *Setting // then Line(caller) is this
	}{
		{name: "configured immediate", caller: "1002", dialled: "hotline", kind: services.Rewrite, number: "1003"},
		{name: "escaped off-hook number", caller: "1002", dialled: "hotline%23", kind: services.Rewrite, number: "1003"},
		{name: "other numbers dial as usual", caller: "1002", dialled: "1009"},
		{name: "configured delayed, section's wait", caller: "1004", line: &Setting{Number: "1005", Delay: 3 * time.Second}},
		{name: "configured delayed, own wait", caller: "1006", line: &Setting{Number: "1007", Delay: 2 * time.Second}},
		{name: "delayed line the PBX did not take goes at once", caller: "1004", dialled: "hotline", kind: services.Rewrite, number: "1005"},
		{name: "off hook without a hotline", caller: "1008", dialled: "hotline", code: 404},
		{name: "a trunk's off-hook number is just a number", caller: "1002", dialled: "hotline", trunk: true},
		{name: "phone sets immediate", caller: "1008", dialled: "*52*1009#", kind: services.Feature},
		{name: "set from the phone", caller: "1008", dialled: "hotline", kind: services.Rewrite, number: "1009"},
		{name: "phone sets delayed", caller: "1002", dialled: "*52*1010*4%23", kind: services.Feature},
		{name: "the phone beats the configuration", caller: "1002", line: &Setting{Number: "1010", Delay: 4 * time.Second}},
		{name: "phone clears", caller: "1006", dialled: "#52#", kind: services.Feature},
		{name: "cleared beats the configured line", caller: "1006", dialled: "hotline", code: 404},
		{name: "a trunk cannot set a hotline", caller: "1008", dialled: "*52*1009#", trunk: true, code: 403},
		{name: "to itself", caller: "1008", dialled: "*52*1008#", code: 484},
		{name: "malformed", caller: "1008", dialled: "*52*#", code: 484},
		{name: "malformed delay", caller: "1008", dialled: "*52*1009*0#", code: 484},
	} {
		t.Run(st.name, func(t *testing.T) {
			if st.line != nil {
				got, err := s.Line(ctx, st.caller)
				if err != nil || got != *st.line {
					t.Fatalf("Line(%s) = %+v %v, want %+v", st.caller, got, err, *st.line)
				}
				return
			}
			v, err := s.Dialled(ctx, &services.Call{Caller: st.caller, Subscriber: !st.trunk, Dialled: st.dialled})
			if err == nil && v.Kind == services.Feature {
				err = v.Apply(ctx)
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
		})
	}
}

// TestOffHookNumber: the configured off-hook number, the defaults.
func TestOffHookNumber(t *testing.T) {
	s, err := New(Config{OffHook: "0"}, NewMemStore())
	if err != nil {
		t.Fatal(err)
	}
	if !s.OffHook("0") || s.OffHook("hotline") || s.InterDigit() != DefaultInterDigit {
		t.Errorf("off hook 0: OffHook(0) %v OffHook(hotline) %v inter-digit %s", s.OffHook("0"), s.OffHook("hotline"), s.InterDigit())
	}
}

func TestConfigCheck(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want []string // fields
	}{
		{Config{}, nil},
		{Config{OffHook: "off-hook", Delay: -time.Second, InterDigit: 2 * time.Minute}, []string{"offhook_number", "delay", "inter_digit"}},
		{Config{Subscribers: map[string]Line{
			"1002": {Number: "1002", Mode: "later", Delay: time.Second},
			"1003": {Number: "", Mode: Delayed, Delay: 2 * time.Minute},
		}}, []string{"subscribers.1002.number", "subscribers.1002.mode", "subscribers.1002.delay", "subscribers.1003.number", "subscribers.1003.delay"}},
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
	if _, err := New(Config{Delay: -1}, NewMemStore()); err == nil {
		t.Error("New accepted delay -1")
	}
}
