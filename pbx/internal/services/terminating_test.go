package services_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"pbxlab/pbx/internal/services"
)

// termFake is a terminating service: its verdicts at each point.
type termFake struct {
	name     string
	term     services.Verdict
	failed   services.Verdict
	ran      *[]string
	failures *[]services.Failure
}

func (f termFake) Name() string { return f.name }

func (f termFake) Terminating(_ context.Context, _ *services.Call) (services.Verdict, error) {
	*f.ran = append(*f.ran, f.name+".terminating")
	return f.term, nil
}

func (f termFake) Failed(_ context.Context, _ *services.Call, why services.Failure) (services.Verdict, error) {
	*f.ran = append(*f.ran, f.name+".failed")
	*f.failures = append(*f.failures, why)
	return f.failed, nil
}

// TestTerminating: the terminating points ask the switches for the
// CALLEE's number, stop at the first decision, keep the shortest ring,
// and leave emergency calls and calls to no subscriber alone.
func TestTerminating(t *testing.T) {
	divert := services.Verdict{Kind: services.Divert, Number: "1005", Reason: "unconditional"}
	for _, tc := range []struct {
		name       string
		off        offFor
		call       services.Call
		a, b       services.Verdict // Terminating verdicts of services a and b
		want       services.Verdict // Kind, Number, Ring, By compared
		wantRan    []string
		failedWant services.VerdictKind
	}{
		{name: "both continue, shortest ring", call: services.Call{Caller: "1000", Callee: "1002"},
			a: services.Verdict{Ring: 20 * time.Second}, b: services.Verdict{Ring: 15 * time.Second},
			want: services.Verdict{Ring: 15 * time.Second, By: "b"}, wantRan: []string{"a.terminating", "b.terminating"}, failedWant: services.Divert},
		{name: "a diverts first", call: services.Call{Caller: "1000", Callee: "1002"}, a: divert, b: barred(),
			want: services.Verdict{Kind: services.Divert, Number: "1005", By: "a"}, wantRan: []string{"a.terminating"}, failedWant: services.Divert},
		{name: "switched off for the callee, not the caller", off: offFor{"a": "1002", "b": "1000"}, call: services.Call{Caller: "1000", Callee: "1002"}, a: divert, b: barred(),
			want: services.Verdict{Kind: services.Refuse, By: "b"}, wantRan: []string{"b.terminating"}, failedWant: services.Continue},
		{name: "an emergency call", call: services.Call{Caller: "1000", Callee: "1002", Emergency: true}, a: divert, b: barred(),
			want: services.Verdict{}, failedWant: services.Continue},
		{name: "no callee", call: services.Call{Caller: "1000"}, a: divert, b: barred(),
			want: services.Verdict{}, failedWant: services.Continue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ran []string
			var why []services.Failure
			ch, err := services.NewChain(tc.off, nil,
				termFake{name: "a", term: tc.a, failed: divert, ran: &ran, failures: &why},
				termFake{name: "b", term: tc.b, ran: &ran, failures: &why})
			if err != nil {
				t.Fatal(err)
			}
			c := tc.call
			v, err := ch.Terminating(context.Background(), &c)
			if err != nil {
				t.Fatal(err)
			}
			if v.Kind != tc.want.Kind || v.Number != tc.want.Number || v.Ring != tc.want.Ring || v.By != tc.want.By {
				t.Errorf("Terminating = %+v, want %+v", v, tc.want)
			}
			if !slices.Equal(ran, tc.wantRan) {
				t.Errorf("ran %v, want %v", ran, tc.wantRan)
			}
			fv, err := ch.Failed(context.Background(), &c, services.Busy)
			if err != nil {
				t.Fatal(err)
			}
			if fv.Kind != tc.failedWant {
				t.Errorf("Failed = %+v, want %v", fv, tc.failedWant)
			}
			if fv.Kind == services.Divert && (len(why) == 0 || why[0] != services.Busy) {
				t.Errorf("Failed hooks told %v, want busy", why)
			}
		})
	}
}
