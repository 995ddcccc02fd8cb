package switches

import (
	"errors"
	"testing"
)

func TestOn(t *testing.T) {
	set, err := New(Config{
		Defaults:              map[string]bool{"abbreviated": false},
		Subscribers:           map[string]map[string]bool{"2001": {"authority": true, "abbreviated": true}},
		GatewayPrefixes:       map[string]map[string]bool{"2": {"authority": false}, "20": {"group_restriction": false}},
		OfficeGatewayPrefixes: map[string]map[string]bool{"200": {"authority": true}, "3": {"abbreviated": true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		service, number string
		want            bool
		why             string
	}{
		{"authority", "1001", true, "nobody set it: on"},
		{"abbreviated", "1001", false, "the service default"},
		{"abbreviated", "3001", true, "an office-gateway prefix beats the default"},
		{"authority", "2101", false, "gateway prefix 2"},
		{"authority", "2002", true, "office-gateway prefix 200 is longer than gateway prefix 2"},
		{"authority", "2011", false, "prefix 20 does not set authority: prefix 2 does"},
		{"group_restriction", "2011", false, "gateway prefix 20"},
		{"authority", "2001", true, "the subscriber beats every prefix"},
		{"abbreviated", "2001", true, "the subscriber beats the default"},
		{"group_restriction", "2001", false, "the subscriber does not set it: the prefix does"},
	} {
		if got := set.On(tc.service, tc.number); got != tc.want {
			t.Errorf("On(%s, %s) = %v, want %v (%s)", tc.service, tc.number, got, tc.want, tc.why)
		}
	}
	var zero *Set
	if !zero.On("authority", "1") {
		t.Error("a nil Set switches a service off")
	}
}

func TestContradiction(t *testing.T) {
	for _, tc := range []struct {
		name string
		gw   map[string]map[string]bool
		og   map[string]map[string]bool
		bad  bool
	}{
		{"same prefix, same value", map[string]map[string]bool{"5": {"authority": false}}, map[string]map[string]bool{"5": {"authority": false}}, false},
		{"same prefix, other service", map[string]map[string]bool{"5": {"authority": false}}, map[string]map[string]bool{"5": {"abbreviated": true}}, false},
		{"same prefix, on and off", map[string]map[string]bool{"5": {"authority": false}}, map[string]map[string]bool{"5": {"authority": true}}, true},
	} {
		_, err := New(Config{GatewayPrefixes: tc.gw, OfficeGatewayPrefixes: tc.og})
		if got := errors.Is(err, ErrContradiction); got != tc.bad {
			t.Errorf("%s: err %v, want contradiction %v", tc.name, err, tc.bad)
		}
	}
}

func TestServices(t *testing.T) {
	cfg := Config{Defaults: map[string]bool{"b": true}, Subscribers: map[string]map[string]bool{"1": {"a": false}},
		GatewayPrefixes: map[string]map[string]bool{"2": {"c": true}}, OfficeGatewayPrefixes: map[string]map[string]bool{"3": {"a": true}}}
	got := cfg.Services()
	if len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Errorf("Services() = %v, want [a b c]", got)
	}
}
