package threeway

import (
	"errors"
	"testing"
	"time"
)

type fakeSwitches map[string]bool

func (f fakeSwitches) On(service, number string) bool {
	on, ok := f[service+"/"+number]
	return !ok || on
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   Config
		field string // "" no problem
	}{
		{"defaults", Config{}, ""},
		{"all set", Config{Code: "**3#", MaxParties: 3, OnHostHangup: HostLeavesEnd, DigitTimeout: time.Second}, ""},
		{"bad key", Config{Code: "*3a"}, "code"},
		{"long code", Config{Code: "*123456789"}, "code"},
		{"two seats", Config{MaxParties: 2}, "max_parties"},
		{"too many seats", Config{MaxParties: 33}, "max_parties"},
		{"bad host choice", Config{OnHostHangup: "drop"}, "on_host_hangup"},
		{"negative timeout", Config{DigitTimeout: -time.Second}, "digit_timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := tc.cfg.Check()
			switch {
			case tc.field == "" && len(ps) > 0:
				t.Fatalf("problems %v, want none", ps)
			case tc.field != "" && (len(ps) != 1 || ps[0].Field != tc.field):
				t.Fatalf("problems %v, want one at %s", ps, tc.field)
			}
			_, err := New(tc.cfg, nil)
			if (err != nil) != (tc.field != "") {
				t.Fatalf("New: %v", err)
			}
		})
	}
}

func TestPolicy(t *testing.T) {
	s, err := New(Config{MaxParties: 4}, fakeSwitches{Name + "/1001": false})
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != "three_party" || s.Code() != "*3" || s.EndsWithHost() || s.MaxParties() != 4 {
		t.Fatalf("defaults: %q %q %v %d", s.Name(), s.Code(), s.EndsWithHost(), s.MaxParties())
	}
	for _, tc := range []struct {
		host string
		want error
	}{{"1000", nil}, {"1001", ErrSwitchedOff}} {
		if err := s.Allow(tc.host); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("Allow(%s) = %v, want %v", tc.host, err, tc.want)
		}
	}
	for _, tc := range []struct {
		now, leaving, adding int
		full                 bool
	}{
		{0, 0, 3, false}, // a three-party call
		{3, 1, 2, false}, // a fourth party
		{4, 1, 2, true},  // a fifth in four seats
		{4, 0, 1, true},
	} {
		err := s.Seats(tc.now, tc.leaving, tc.adding)
		if errors.Is(err, ErrFull) != tc.full {
			t.Errorf("Seats(%d, %d, %d) = %v, want full %v", tc.now, tc.leaving, tc.adding, err, tc.full)
		}
	}
}

func TestMatcher(t *testing.T) {
	t0 := time.Unix(0, 0)
	for _, tc := range []struct {
		name  string
		code  string
		keys  string
		gaps  time.Duration // between keys
		match []int         // indexes of the keys that complete the code
	}{
		{"code", "*3", "*3", 100 * time.Millisecond, []int{1}},
		{"after other keys", "*3", "12*3", 100 * time.Millisecond, []int{3}},
		{"twice", "*3", "*3*3", 100 * time.Millisecond, []int{1, 3}},
		{"repeated star", "*3", "**3", 100 * time.Millisecond, []int{2}},
		{"overlap", "*1*2", "*1*1*2", 100 * time.Millisecond, []int{5}},
		{"too slow", "*3", "*3", 5 * time.Second, nil},
		{"other code", "*3", "*4#3", 100 * time.Millisecond, nil},
		{"no code", "", "*3", 100 * time.Millisecond, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMatcher(tc.code, 3*time.Second)
			var got []int
			for i := range len(tc.keys) {
				if m.Key(tc.keys[i], t0.Add(time.Duration(i)*tc.gaps)) {
					got = append(got, i)
				}
			}
			if len(got) != len(tc.match) {
				t.Fatalf("matched at %v, want %v", got, tc.match)
			}
			for i := range got {
				if got[i] != tc.match[i] {
					t.Fatalf("matched at %v, want %v", got, tc.match)
				}
			}
		})
	}
}

// FuzzMatcher: any keys from a phone: the matcher never panics, and
// reports a match only when the code's keys just came in a row.
func FuzzMatcher(f *testing.F) {
	f.Add("*3", []byte("12*3#"))
	f.Add("*1*2", []byte("*1*1*2"))
	f.Fuzz(func(t *testing.T, code string, keys []byte) {
		m := NewMatcher(code, time.Second)
		now := time.Unix(0, 0)
		var seen []byte
		for _, k := range keys {
			now = now.Add(100 * time.Millisecond)
			seen = append(seen, k)
			if m.Key(k, now) && (code == "" || len(seen) < len(code) || string(seen[len(seen)-len(code):]) != code) {
				t.Fatalf("code %q matched after %q", code, seen)
			}
		}
	})
}
