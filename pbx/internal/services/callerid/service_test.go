package callerid

import (
	"context"
	"errors"
	"testing"

	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		dialled string
		op      Op
		number  string
	}{
		{"*31#", PermanentOn, ""},
		{"*31%23", PermanentOn, ""},
		{"*31", PermanentOn, ""},
		{"#31#", PermanentOff, ""},
		{"%2331%23", PermanentOff, ""},
		{"*671002", HideCall, "1002"},
		{"*31*1002#", HideCall, "1002"},
		{"*31*1002%23", HideCall, "1002"},
		{"*821002", ShowCall, "1002"},
		{"*67", Malformed, ""},
		{"*67abc", Malformed, ""},
		{"*82", Malformed, ""},
		{"*31*", Malformed, ""},
		{"*31*12a#", Malformed, ""},
		{"#31*1002#", Malformed, ""},
		{"*311", Malformed, ""},
		{"1002", None, ""},
		{"*56#", None, ""},
		{"*8*1002#", None, ""},
		{"*6", None, ""},
	} {
		op, n := Parse(tc.dialled)
		if op != tc.op || n != tc.number {
			t.Errorf("%q: %d %q, want %d %q", tc.dialled, op, n, tc.op, tc.number)
		}
	}
}

// FuzzParse: the dialled number comes from the phone; Parse never panics,
// a per-call code's number is 1 to 32 digits, the other ops carry none.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"*31#", "#31#", "*671002", "*31*1002#", "*821002", "*67", "%2331%23"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dialled string) {
		op, n := Parse(dialled)
		switch op {
		case HideCall, ShowCall:
			if n == "" || len(n) > 32 {
				t.Fatalf("%q: number %q", dialled, n)
			}
			for _, r := range n {
				if r < '0' || r > '9' {
					t.Fatalf("%q: number %q", dialled, n)
				}
			}
		default:
			if n != "" {
				t.Fatalf("%q: op %d with number %q", dialled, op, n)
			}
		}
	})
}

type memStore map[string]bool

func (m memStore) Get(_ context.Context, s string) (bool, bool, error) {
	on, ok := m[s]
	return on, ok, nil
}

func (m memStore) Put(_ context.Context, s string, on bool) error {
	m[s] = on
	return nil
}

func TestDialled(t *testing.T) {
	st := memStore{}
	clir, err := NewCLIR(st, func(n string) bool { return n == "1003" })
	if err != nil {
		t.Fatal(err)
	}
	clip := NewCLIP()
	type hook interface {
		Dialled(context.Context, *services.Call) (services.Verdict, error)
	}
	for _, tc := range []struct {
		name       string
		svc        hook
		dialled    string
		subscriber bool
		kind       services.VerdictKind
		code       int
		number     string
		pres       services.Presentation
	}{
		{"hide this call", clir, "*671002", true, services.Rewrite, 0, "1002", services.PresentRestricted},
		{"hide this call, ETSI style", clir, "*31*1002#", true, services.Rewrite, 0, "1002", services.PresentRestricted},
		{"permanent on", clir, "*31#", true, services.Feature, 0, "", 0},
		{"permanent off", clir, "#31#", true, services.Feature, 0, "", 0},
		{"malformed", clir, "*67", true, services.Refuse, 484, "", 0},
		{"trunk", clir, "*671002", false, services.Refuse, 403, "", 0},
		{"trunk toggle", clir, "*31#", false, services.Refuse, 403, "", 0},
		{"not ours", clir, "1002", true, services.Continue, 0, "", 0},
		{"show is clip's", clir, "*821002", true, services.Continue, 0, "", 0},
		{"show this call", clip, "*821002", true, services.Rewrite, 0, "1002", services.PresentAllowed},
		{"show malformed", clip, "*82x", true, services.Refuse, 484, "", 0},
		{"hide is clir's", clip, "*671002", true, services.Continue, 0, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &services.Call{Caller: "1001", Subscriber: tc.subscriber, Dialled: tc.dialled}
			v, err := tc.svc.Dialled(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			if v.Kind != tc.kind || v.Number != tc.number || c.Presentation != tc.pres {
				t.Fatalf("verdict %+v, presentation %d; want kind %d number %q presentation %d", v, c.Presentation, tc.kind, tc.number, tc.pres)
			}
			var se *sipx.StatusError
			if tc.code != 0 && (!errors.As(v.Err, &se) || se.Code != tc.code) {
				t.Fatalf("refusal %v, want %d", v.Err, tc.code)
			}
		})
	}
}

func TestPermanent(t *testing.T) {
	st := memStore{}
	clir, _ := NewCLIR(st, func(n string) bool { return n == "1003" })
	ctx := context.Background()
	for _, step := range []struct {
		who, dial string
		want      bool
	}{
		{"1001", "", false},
		{"1003", "", true}, // the configuration's default
		{"1001", "*31#", true},
		{"1003", "#31#", false}, // the phone beats the configuration
		{"1001", "#31#", false},
	} {
		if step.dial != "" {
			v, _ := clir.Dialled(ctx, &services.Call{Caller: step.who, Subscriber: true, Dialled: step.dial})
			if v.Apply == nil {
				t.Fatalf("%s: no feature", step.dial)
			}
			if err := v.Apply(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if on, err := clir.On(ctx, step.who); err != nil || on != step.want {
			t.Errorf("after %s %q: CLIR %v %v, want %v", step.who, step.dial, on, err, step.want)
		}
	}
	if _, err := NewCLIR(nil, nil); err == nil {
		t.Error("NewCLIR without a store: no error")
	}
}
