package callback

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

type fakeDir map[string]string // caller -> last busy

func (d fakeDir) LastBusy(caller string) (string, bool) { n, ok := d[caller]; return n, ok }
func (d fakeDir) IsSubscriber(n string) bool            { return strings.HasPrefix(n, "10") }

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Code
	}{
		{"*37#", Code{Op: Last}},
		{"*37", Code{Op: Last}},
		{"%2A37%23", Code{Op: Last}},
		{"#37#", Code{Op: Cancel}},
		{"%2337%23", Code{Op: Cancel}},
		{"*37*1002#", Code{Op: Number, Number: "1002"}},
		{"*37*1002%23", Code{Op: Number, Number: "1002"}},
		{"*37*#", Code{Op: Malformed}},
		{"*37*10a2#", Code{Op: Malformed}},
		{"*37*" + strings.Repeat("1", 33), Code{Op: Malformed}},
		{"*37#1", Code{Op: Malformed}},
		{"#37*1#", Code{Op: Malformed}},
		{"*370#", Code{}},
		{"#38#", Code{}},
		{"1002", Code{}},
		{"", Code{}},
	} {
		if got := Parse(tc.in); got != tc.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestDialled(t *testing.T) {
	s, err := New(Config{}, fakeDir{"1000": "1001", "1005": "1005", "1006": "2000"})
	if err != nil {
		t.Fatal(err)
	}
	s.Add("1007", "1001")
	for _, tc := range []struct {
		caller  string
		sub     bool
		dialled string
		status  int    // 0: a feature
		callee  string // the request filed by the feature
	}{
		{"1000", true, "1002", 0, ""}, // not a code: continue
		{"1000", true, "*37#", 0, "1001"},
		{"1000", true, "*37*1003#", 0, "1003"},
		{"1002", true, "*37#", 404, ""},     // found nobody busy
		{"1005", true, "*37#", 403, ""},     // itself
		{"1006", true, "*37#", 404, ""},     // no subscriber
		{"1000", false, "*37#", 403, ""},    // a trunk's caller
		{"1000", true, "*37*12x#", 484, ""}, // malformed
		{"1009", true, "#37#", 404, ""},     // nothing to cancel
		{"1007", true, "#37#", 0, ""},       // cancels 1007's
	} {
		v, err := s.Dialled(context.Background(), &services.Call{Caller: tc.caller, Subscriber: tc.sub, Dialled: tc.dialled})
		if err != nil {
			t.Fatal(err)
		}
		if tc.status != 0 {
			code, _, _ := sipx.StatusOf(v.Err)
			if v.Kind != services.Refuse || code != tc.status {
				t.Errorf("%s dials %s: %+v, want %d", tc.caller, tc.dialled, v, tc.status)
			}
			continue
		}
		if Parse(tc.dialled).Op == None {
			if v.Kind != services.Continue {
				t.Errorf("%s dials %s: %+v, want continue", tc.caller, tc.dialled, v)
			}
			continue
		}
		if v.Kind != services.Feature || v.Apply == nil {
			t.Fatalf("%s dials %s: %+v, want a feature", tc.caller, tc.dialled, v)
		}
		if err := v.Apply(context.Background()); err != nil {
			t.Fatal(err)
		}
		r, ok := s.Pending(tc.caller)
		if tc.callee == "" && ok || tc.callee != "" && r.Callee != tc.callee {
			t.Errorf("%s dials %s: pending %+v %v, want %q", tc.caller, tc.dialled, r, ok, tc.callee)
		}
	}
}

func TestQueue(t *testing.T) {
	fc := clock.NewFake(time.Unix(0, 0))
	expired := make(chan Request, 4)
	s, err := New(Config{Timeout: time.Minute}, fakeDir{}, WithClock(fc), WithExpired(func(r Request) { expired <- r }))
	if err != nil {
		t.Fatal(err)
	}
	a := s.Add("1000", "1001")
	fc.Advance(time.Second)
	b := s.Add("1002", "1001")
	s.Add("1003", "1004")
	due := s.Due("1001")
	if len(due) != 2 || due[0].ID != a.ID || due[1].ID != b.ID {
		t.Fatalf("due %+v, want 1000 then 1002", due)
	}
	// A busy again: its request stays filed
	if len(s.Due("1001")) != 2 {
		t.Fatal("Due removed requests")
	}
	if !s.Done("1000", a.ID) || s.Done("1000", a.ID) {
		t.Error("Done: want true once")
	}
	c := s.Add("1002", "1005") // replaces 1002's request on 1001
	if got := s.Due("1001"); len(got) != 0 {
		t.Errorf("due after the replacement %+v", got)
	}
	if !s.Cancel("1003") || s.Cancel("1003") {
		t.Error("Cancel: want true once")
	}
	fc.Advance(time.Minute)
	if r := <-expired; r.ID != c.ID {
		t.Errorf("expired %+v, want %+v", r, c)
	}
	if _, ok := s.Pending("1002"); ok {
		t.Error("an expired request is still pending")
	}
}

func TestCheck(t *testing.T) {
	if ps := (Config{Timeout: -time.Second}).Check(); len(ps) != 1 || ps[0].Field != "timeout" {
		t.Errorf("problems %v, want one at timeout", ps)
	}
	if _, err := New(Config{Timeout: -1}, fakeDir{}); !errors.Is(err, ErrConfig) {
		t.Errorf("New: %v, want ErrConfig", err)
	}
	if ps := (Config{}).Check(); len(ps) != 0 {
		t.Errorf("empty config: %v", ps)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"*37#", "#37#", "*37*1002%23", "*37*", "*37#1", "%2a37", "#370"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := Parse(s)
		switch c.Op {
		case Number:
			if c.Number == "" || len(c.Number) > maxNumber || strings.Trim(c.Number, "0123456789") != "" {
				t.Fatalf("Parse(%q): number %q", s, c.Number)
			}
		case None, Last, Cancel, Malformed:
			if c.Number != "" {
				t.Fatalf("Parse(%q): %v with number %q", s, c.Op, c.Number)
			}
		default:
			t.Fatalf("Parse(%q): op %v", s, c.Op)
		}
		if c.Op.String() == "op?" {
			t.Fatalf("op %d unnamed", c.Op)
		}
	})
}
