package park

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/clock"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Code
	}{
		{"*6", Code{Op: Park}},
		{"*6#", Code{Op: Park}},
		{"*6%23", Code{Op: Park}},
		{"%2A6", Code{Op: Park}},
		{"*6*1#", Code{Op: Retrieve, Slot: 1}},
		{"*6*12%23", Code{Op: Retrieve, Slot: 12}},
		{"*6*007", Code{Op: Retrieve, Slot: 7}},
		{"*6*#", Code{Op: Malformed}},
		{"*6*0#", Code{Op: Malformed}},
		{"*6*1a#", Code{Op: Malformed}},
		{"*6*1234#", Code{Op: Malformed}},
		{"*6#1", Code{Op: Malformed}},
		{"*60#", Code{}},
		{"*66#", Code{}},
		{"1002", Code{}},
		{"", Code{}},
	} {
		if got := Parse(tc.in); got != tc.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestDigits(t *testing.T) {
	if got := Digits(103, "digit-"); !slices.Equal(got, []string{"digit-1", "digit-0", "digit-3"}) {
		t.Errorf("Digits(103) = %v", got)
	}
}

func TestLot(t *testing.T) {
	fc := clock.NewFake(time.Unix(0, 0))
	s, err := New(Config{Slots: 2, Timeout: time.Minute, Right: []string{"1009"}}, WithClock(fc))
	if err != nil {
		t.Fatal(err)
	}
	expired := make(chan Parked, 1)
	a, err := s.Park("1001", "1002", func(p Parked) { expired <- p })
	if err != nil || a.Slot != 1 {
		t.Fatalf("first park: %+v %v", a, err)
	}
	b, err := s.Park("1003", "1004", nil)
	if err != nil || b.Slot != 2 {
		t.Fatalf("second park: %+v %v", b, err)
	}
	if _, err := s.Park("1005", "1006", nil); !errors.Is(err, ErrFull) {
		t.Fatalf("third park: %v, want ErrFull", err)
	}
	for _, tc := range []struct {
		slot int
		by   string
		err  error
	}{
		{3, "1009", ErrEmpty},
		{2, "1005", ErrNoRight}, // not the parker, no right: stays parked
		{2, "1003", nil},        // the parker takes its own back
		{2, "1009", ErrEmpty},   // taken already
	} {
		p, err := s.Retrieve(tc.slot, tc.by)
		if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
			t.Errorf("Retrieve(%d, %s) = %v, want %v", tc.slot, tc.by, err, tc.err)
		}
		if tc.err == nil && p.ID != b.ID {
			t.Errorf("Retrieve(%d) = %+v, want %+v", tc.slot, p, b)
		}
	}
	c, err := s.Park("1005", "1006", nil) // slot 2 is free again
	if err != nil || c.Slot != 2 {
		t.Fatalf("park after retrieve: %+v %v", c, err)
	}
	if !s.Leave(c.Slot, c.ID) || s.Leave(c.Slot, c.ID) {
		t.Error("Leave: want true once")
	}
	fc.Advance(time.Minute)
	if p := <-expired; p.ID != a.ID {
		t.Fatalf("expired %+v, want slot 1", p)
	}
	if len(s.List()) != 0 {
		t.Errorf("lot after timeout: %+v", s.List())
	}
	if _, err := s.Retrieve(1, "1009"); !errors.Is(err, ErrEmpty) {
		t.Errorf("retrieve after timeout: %v", err)
	}
}

func TestLotAnyoneRetrieves(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Park("1001", "1002", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Timeout() != DefaultTimeout {
		t.Errorf("timeout %s", s.Timeout())
	}
	if _, err := s.Retrieve(p.Slot, "1007"); err != nil {
		t.Errorf("retrieve without a right list: %v", err)
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{Slots: -1}, "slots"},
		{Config{Slots: 1000}, "slots"},
		{Config{Timeout: -time.Second}, "timeout"},
		{Config{Right: []string{"x"}}, "right[0]"},
		{Config{Right: []string{"1", "1"}}, "right[1]"},
	} {
		ps := tc.cfg.Check()
		if len(ps) == 0 || ps[0].Field != tc.field {
			t.Errorf("%+v: problems %v, want one at %s", tc.cfg, ps, tc.field)
		}
		if _, err := New(tc.cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", tc.cfg, err)
		}
	}
	if ps := (Config{}).Check(); len(ps) != 0 {
		t.Errorf("empty config: %v", ps)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"*6", "*6*1#", "*6*12%23", "*6*", "*6#1", "%2a6", "*66#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := Parse(s)
		switch c.Op {
		case Retrieve:
			if c.Slot < 1 || c.Slot > maxSlots {
				t.Fatalf("Parse(%q): slot %d", s, c.Slot)
			}
		case None, Park, Malformed:
			if c.Slot != 0 {
				t.Fatalf("Parse(%q): %v with slot %d", s, c.Op, c.Slot)
			}
		default:
			t.Fatalf("Parse(%q): op %v", s, c.Op)
		}
		if c.Op.String() == "op?" || strings.Contains(c.Op.String(), "?") {
			t.Fatalf("op %d unnamed", c.Op)
		}
	})
}
