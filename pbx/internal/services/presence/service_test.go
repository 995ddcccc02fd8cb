package presence

import (
	"errors"
	"testing"
)

type offFor map[string]bool

func (o offFor) On(service, number string) bool { return service != Name || !o[number] }

func TestMayWatch(t *testing.T) {
	s, err := New(Config{Watchers: map[string][]string{"1003": {"1001"}}}, offFor{"1004": true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		watcher, watched string
		want             error
	}{
		{"1001", "1002", nil},            // unlisted: anyone
		{"1001", "1003", nil},            // listed watcher
		{"1002", "1003", ErrNotAllowed},  // not listed
		{"1003", "1003", nil},            // one's own line
		{"1004", "1002", ErrSwitchedOff}, // switched off for the watcher
		{"1002", "1004", nil},            // the watched one's switch does not matter
		{"1004", "1003", ErrSwitchedOff}, // the switch first
	} {
		if err := s.MayWatch(tc.watcher, tc.watched); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s watching %s: %v, want %v", tc.watcher, tc.watched, err, tc.want)
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
		{"good", Config{Watchers: map[string][]string{"1002": {"1001", "1003"}}}, ""},
		{"bad watched", Config{Watchers: map[string][]string{"x": {"1001"}}}, "watchers.x"},
		{"bad watcher", Config{Watchers: map[string][]string{"1002": {"1001", ""}}}, "watchers.1002[1]"},
		{"twice", Config{Watchers: map[string][]string{"1002": {"1001", "1001"}}}, "watchers.1002[1]"},
	} {
		ps := tc.cfg.Check()
		switch {
		case tc.field == "" && len(ps) > 0:
			t.Errorf("%s: %v", tc.name, ps)
		case tc.field != "" && (len(ps) == 0 || ps[0].Field != tc.field):
			t.Errorf("%s: %v, want a problem at %s", tc.name, ps, tc.field)
		}
	}
	if _, err := New(Config{Watchers: map[string][]string{"x": nil}}, nil); err == nil {
		t.Error("New with a bad configuration: no error")
	}
}
