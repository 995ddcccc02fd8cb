package forward

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
	_ services.Failed      = (*Service)(nil)
)

func code(v services.Verdict) int {
	if v.Kind != services.Refuse {
		return 0
	}
	c, _, _ := sipx.StatusOf(v.Err)
	return c
}

// TestForwards: codes set and clear, the phone's setting beats the
// configuration, each point's verdict, loops and the hop limit.
func TestForwards(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := New(Config{MaxHops: 3, Subscribers: map[string]Forwards{
		"1002": {Busy: "1003", NoReply: "1004", NoReplyAfter: 15 * time.Second, Unreachable: "1005"},
		"1006": {Unconditional: "1007"},
		"1008": {NoReply: "1009"},
	}}, NewMemStore())
	if err != nil {
		t.Fatal(err)
	}
	type step struct {
		name     string
		caller   string // a code dialled
		dialled  string
		trunk    bool
		callee   string // else a call to callee
		failure  services.Failure
		diverted []string
		kind     services.VerdictKind
		number   string
		reason   string
		ring     time.Duration
		code     int
	}
	for _, st := range []step{
		{name: "configured unconditional", callee: "1006", kind: services.Divert, number: "1007", reason: "unconditional"},
		{name: "no forward", callee: "1003"},
		{name: "no reply time of the subscriber", callee: "1002", ring: 15 * time.Second},
		{name: "no reply time by default", callee: "1008", ring: DefaultNoReplyAfter},
		{name: "configured busy", callee: "1002", failure: services.Busy, kind: services.Divert, number: "1003", reason: "user-busy"},
		{name: "configured no reply", callee: "1002", failure: services.NoReply, kind: services.Divert, number: "1004", reason: "no-answer"},
		{name: "configured unreachable", callee: "1002", failure: services.Unreachable, kind: services.Divert, number: "1005", reason: "unavailable"},
		{name: "no forward on failure", callee: "1006", failure: services.Busy},
		{name: "phone sets busy", caller: "1002", dialled: "*40*1010#", kind: services.Feature},
		{name: "the phone beats the configuration", callee: "1002", failure: services.Busy, kind: services.Divert, number: "1010", reason: "user-busy"},
		{name: "phone clears unconditional", caller: "1006", dialled: "#57%23", kind: services.Feature},
		{name: "a cleared forward beats the configured one", callee: "1006"},
		{name: "phone sets unconditional", caller: "1003", dialled: "*57*1006", kind: services.Feature},
		{name: "set by the phone", callee: "1003", kind: services.Divert, number: "1006", reason: "unconditional"},
		{name: "a trunk cannot set forwards", caller: "1003", dialled: "*57*1006#", trunk: true, code: 403},
		{name: "to itself", caller: "1003", dialled: "*57*1003#", code: 484},
		{name: "malformed", caller: "1003", dialled: "*57*#", code: 484},
		{name: "not a code", caller: "1003", dialled: "1006"},
		{name: "a loop back", callee: "1003", diverted: []string{"1006"}, code: 482},
		{name: "a loop on failure", callee: "1002", failure: services.NoReply, diverted: []string{"1004"}, code: 482},
		{name: "within the hop limit", callee: "1003", diverted: []string{"1001", "1004"}, kind: services.Divert, number: "1006", reason: "unconditional"},
		{name: "beyond the hop limit", callee: "1003", diverted: []string{"1001", "1004", "1005"}, code: 483},
	} {
		t.Run(st.name, func(t *testing.T) {
			var (
				v   services.Verdict
				err error
			)
			switch {
			case st.dialled != "":
				v, err = s.Dialled(ctx, &services.Call{Caller: st.caller, Subscriber: !st.trunk, Dialled: st.dialled})
				if err == nil && v.Kind == services.Feature {
					err = v.Apply(ctx)
				}
			case st.failure != 0:
				v, err = s.Failed(ctx, &services.Call{Caller: "1000", Callee: st.callee, Diverted: st.diverted}, st.failure)
			default:
				v, err = s.Terminating(ctx, &services.Call{Caller: "1000", Callee: st.callee, Diverted: st.diverted})
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.code != 0 {
				if got := code(v); got != st.code {
					t.Fatalf("verdict %v %v, want refusal %d", v.Kind, v.Err, st.code)
				}
				return
			}
			if v.Kind != st.kind || v.Number != st.number || v.Reason != st.reason || v.Ring != st.ring {
				t.Errorf("verdict %v %q %q ring %v, want %v %q %q ring %v", v.Kind, v.Number, v.Reason, v.Ring, st.kind, st.number, st.reason, st.ring)
			}
		})
	}
}

func TestConfigCheck(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want []string // fields
	}{
		{Config{}, nil},
		{Config{MaxHops: 9, NoReplyAfter: -time.Second}, []string{"max_hops", "no_reply_after"}},
		{Config{Subscribers: map[string]Forwards{"1002": {Busy: "10x", NoReply: "1002", NoReplyAfter: -1}}}, []string{
			"subscribers.1002.busy", "subscribers.1002.no_reply", "subscribers.1002.no_reply_after"}},
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
	if _, err := New(Config{MaxHops: -1}, NewMemStore()); err == nil {
		t.Error("New accepted max_hops -1")
	}
}
