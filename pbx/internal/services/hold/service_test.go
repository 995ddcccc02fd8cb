package hold

import (
	"testing"
)

type fakeSwitches map[string]bool // number -> hold switched on

func (f fakeSwitches) On(service, number string) bool {
	if service != Name {
		return true
	}
	on, ok := f[number]
	return !ok || on
}

func TestMode(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		sw   Switches
		sub  string
		want Mode
	}{
		{"default relay", Config{}, nil, "1001", ModeRelay},
		{"default pbx", Config{Default: ModePBX}, nil, "1001", ModePBX},
		{"subscriber beats default", Config{Default: ModePBX, Subscribers: map[string]Mode{"1001": ModeRelay}}, nil, "1001", ModeRelay},
		{"subscriber pbx", Config{Subscribers: map[string]Mode{"1001": ModePBX}}, nil, "1001", ModePBX},
		{"other subscriber default", Config{Subscribers: map[string]Mode{"1001": ModePBX}}, nil, "1002", ModeRelay},
		{"switched off relays", Config{Default: ModePBX}, fakeSwitches{"1001": false}, "1001", ModeRelay},
		{"switched on keeps pbx", Config{Default: ModePBX}, fakeSwitches{"1001": true}, "1001", ModePBX},
		{"no number relays", Config{Default: ModePBX}, nil, "", ModeRelay},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.cfg, tc.sw)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Mode(tc.sub); got != tc.want {
				t.Fatalf("Mode(%q) = %q, want %q", tc.sub, got, tc.want)
			}
			if got := s.ByPBX(tc.sub); got != (tc.want == ModePBX) {
				t.Fatalf("ByPBX(%q) = %v", tc.sub, got)
			}
		})
	}
}

func TestAnchors(t *testing.T) {
	s, err := New(Config{Subscribers: map[string]Mode{"1001": ModePBX}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		caller, callee string
		want           bool
	}{{"1001", "1002", true}, {"1002", "1001", true}, {"1002", "1003", false}, {"", "1003", false}} {
		if got := s.Anchors(tc.caller, tc.callee); got != tc.want {
			t.Errorf("Anchors(%q, %q) = %v, want %v", tc.caller, tc.callee, got, tc.want)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   Config
		field string // "" for none
	}{
		{"empty", Config{}, ""},
		{"good", Config{Default: ModeRelay, Subscribers: map[string]Mode{"1001": ModePBX}}, ""},
		{"bad default", Config{Default: "park"}, "default"},
		{"bad mode", Config{Subscribers: map[string]Mode{"1001": "music"}}, "subscribers.1001"},
		{"bad number", Config{Subscribers: map[string]Mode{"10a1": ModePBX}}, "subscribers.10a1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := tc.cfg.Check()
			switch {
			case tc.field == "" && len(ps) > 0:
				t.Fatalf("problems %v, want none", ps)
			case tc.field != "" && (len(ps) != 1 || ps[0].Field != tc.field):
				t.Fatalf("problems %v, want one at %s", ps, tc.field)
			}
			if _, err := New(tc.cfg, nil); (err != nil) != (tc.field != "") {
				t.Fatalf("New: %v", err)
			}
		})
	}
}
