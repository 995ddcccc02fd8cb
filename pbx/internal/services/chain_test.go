package services_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

// fake is a service of func fields; it records that it ran.
type fake struct {
	name    string
	dialled func(*services.Call) services.Verdict
	routed  func(*services.Call) services.Verdict
	claims  string
	ran     *[]string
}

func (f fake) Name() string { return f.name }

type dialledFake struct{ fake }

func (f dialledFake) Dialled(_ context.Context, c *services.Call) (services.Verdict, error) {
	*f.ran = append(*f.ran, f.name+".dialled")
	return f.dialled(c), nil
}

func (f dialledFake) Claims(d string) bool { return f.claims != "" && d == f.claims }

type routedFake struct{ fake }

func (f routedFake) Routed(_ context.Context, c *services.Call) (services.Verdict, error) {
	*f.ran = append(*f.ran, f.name+".routed")
	return f.routed(c), nil
}

type offFor map[string]string // service -> number it is off for

func (o offFor) On(service, number string) bool { return o[service] != number }

type emergencies []string

func (e emergencies) Is(n string) bool { return slices.Contains(e, n) }

func barred() services.Verdict {
	return services.Verdict{Kind: services.Refuse, Err: &sipx.StatusError{Code: 403, Reason: "Forbidden"}}
}

func TestChain(t *testing.T) {
	cont := func(*services.Call) services.Verdict { return services.Verdict{} }
	for _, tc := range []struct {
		name      string
		off       offFor
		call      services.Call
		wantKind  services.VerdictKind // of the Dialled point, then Routed runs if continue/rewrite
		wantRoute services.VerdictKind
		wantRan   []string
		wantEmerg bool
		wantBy    string
	}{
		{name: "a plain call runs every hook", call: services.Call{Caller: "1001", Dialled: "9123", Called: "9123"},
			wantRan: []string{"abbr.dialled", "auth.routed"}, wantRoute: services.Refuse, wantBy: "auth"},
		{name: "a rewrite is analysed and checked", call: services.Call{Caller: "1001", Dialled: "**01", Called: "9123"},
			wantKind: services.Rewrite, wantRan: []string{"abbr.dialled", "auth.routed"}, wantRoute: services.Refuse, wantBy: "auth"},
		{name: "a switched-off service is skipped", off: offFor{"auth": "1001"}, call: services.Call{Caller: "1001", Dialled: "9123", Called: "9123"},
			wantRan: []string{"abbr.dialled"}},
		{name: "a switched-off service's code is refused", off: offFor{"abbr": "1001"}, call: services.Call{Caller: "1001", Dialled: "*51*"},
			wantKind: services.Refuse, wantBy: "abbr"},
		{name: "an emergency number skips every service", call: services.Call{Caller: "1001", Dialled: "112", Called: "112"},
			wantEmerg: true},
		{name: "an emergency number after a rewrite skips the rest", call: services.Call{Caller: "1001", Dialled: "**12", Called: "112"},
			wantKind: services.Rewrite, wantRan: []string{"abbr.dialled"}, wantEmerg: true},
		{name: "an emergency number after substitution skips Routed", call: services.Call{Caller: "1001", Dialled: "0112", Called: "112"},
			wantRan: []string{"abbr.dialled"}, wantEmerg: true},
		{name: "an emergency switched off is still an emergency", off: offFor{"emergency": "1001"}, call: services.Call{Caller: "1001", Dialled: "112", Called: "112"},
			wantEmerg: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ran []string
			abbr := dialledFake{fake{name: "abbr", ran: &ran, claims: "*51*", dialled: func(c *services.Call) services.Verdict {
				switch c.Dialled {
				case "**01":
					return services.Verdict{Kind: services.Rewrite, Number: "9123"}
				case "**12":
					return services.Verdict{Kind: services.Rewrite, Number: "112"}
				}
				return services.Verdict{}
			}}}
			auth := routedFake{fake{name: "auth", ran: &ran, routed: func(c *services.Call) services.Verdict {
				if c.Called == "9123" {
					return barred()
				}
				return services.Verdict{}
			}}}
			quiet := fake{name: "quiet", ran: &ran, dialled: cont, routed: cont} // neither hook
			ch, err := services.NewChain(tc.off, emergencies{"112"}, abbr, auth, quiet)
			if err != nil {
				t.Fatal(err)
			}
			c := tc.call
			v, err := ch.Dialled(context.Background(), &c)
			if err != nil {
				t.Fatal(err)
			}
			if v.Kind != tc.wantKind {
				t.Fatalf("Dialled: %v, want %v", v.Kind, tc.wantKind)
			}
			if v.Kind == services.Continue || v.Kind == services.Rewrite {
				if v.Kind == services.Rewrite && c.Dialled != v.Number {
					t.Errorf("rewrite to %s, call's number %s", v.Number, c.Dialled)
				}
				v, err = ch.Routed(context.Background(), &c)
				if err != nil {
					t.Fatal(err)
				}
				if v.Kind != tc.wantRoute {
					t.Errorf("Routed: %v, want %v", v.Kind, tc.wantRoute)
				}
			}
			if v.By != tc.wantBy && v.Kind != services.Continue {
				t.Errorf("decided by %q, want %q", v.By, tc.wantBy)
			}
			if !slices.Equal(ran, tc.wantRan) {
				t.Errorf("ran %v, want %v", ran, tc.wantRan)
			}
			if c.Emergency != tc.wantEmerg {
				t.Errorf("emergency %v, want %v", c.Emergency, tc.wantEmerg)
			}
		})
	}
}

func TestChainRefusesDuplicatesAndLateRewrites(t *testing.T) {
	var ran []string
	a := fake{name: "a", ran: &ran}
	if _, err := services.NewChain(nil, nil, a, a); !errors.Is(err, services.ErrDuplicate) {
		t.Errorf("two services named a: %v, want ErrDuplicate", err)
	}
	late := routedFake{fake{name: "late", ran: &ran, routed: func(*services.Call) services.Verdict {
		return services.Verdict{Kind: services.Rewrite, Number: "1"}
	}}}
	ch, err := services.NewChain(nil, nil, late)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.Routed(context.Background(), &services.Call{Called: "2"}); !errors.Is(err, services.ErrLateRewrite) {
		t.Errorf("a rewrite at Routed: %v, want ErrLateRewrite", err)
	}
	if got := ch.Names(); !slices.Equal(got, []string{"late"}) {
		t.Errorf("Names() = %v", got)
	}
}

func TestVerdictKindString(t *testing.T) {
	for k, want := range map[services.VerdictKind]string{services.Continue: "continue", services.Refuse: "refuse", services.VerdictKind(9): "verdict(9)"} {
		if got := k.String(); got != want {
			t.Errorf("%d: %q, want %q", k, got, want)
		}
	}
}
