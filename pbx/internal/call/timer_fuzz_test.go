package call

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseSessionExpires(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want sessionExpires
		ok   bool
	}{
		{"1800", sessionExpires{delta: 1800 * time.Second}, true},
		{"90;refresher=uac", sessionExpires{delta: 90 * time.Second, refresher: "uac"}, true},
		{" 4000 ; Refresher = UAS ;x=1", sessionExpires{delta: 4000 * time.Second, refresher: "uas"}, true},
		{"90;lr", sessionExpires{delta: 90 * time.Second}, true},
		{"4294967295", sessionExpires{delta: 4294967295 * time.Second}, true},
		{"4294967296", sessionExpires{}, false},
		{"", sessionExpires{}, false},
		{"-90", sessionExpires{}, false},
		{"9O", sessionExpires{}, false},
		{"90;refresher=me", sessionExpires{}, false},
		{"90;refresher=uac;refresher=uas", sessionExpires{}, false},
		{"90;refresher", sessionExpires{}, false},
		{"90;;", sessionExpires{}, false},
		{"90;a b=c", sessionExpires{}, false},
	} {
		got, err := parseSessionExpires(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("parseSessionExpires(%q) = %+v, %v; want %+v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrBadTimerHeader) {
			t.Errorf("parseSessionExpires(%q) error %v is not ErrBadTimerHeader", tc.in, err)
		}
	}
}

func TestParseMinSE(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90", 90 * time.Second, true},
		{" 120 ;x=y", 120 * time.Second, true},
		{"", 0, false},
		{"90s", 0, false},
		{"90;refresher=uac", 90 * time.Second, true},
		{"99999999999", 0, false},
	} {
		got, err := parseMinSE(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseMinSE(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	if d := expiryAfter(90 * time.Second); d != 60*time.Second {
		t.Errorf("expiry of 90 s after %s, want 60 s (90 - 90/3)", d)
	}
	if d := expiryAfter(1800 * time.Second); d != 1768*time.Second {
		t.Errorf("expiry of 1800 s after %s, want 1768 s (1800 - 32)", d)
	}
}

// FuzzSessionExpires: the Session-Expires value parser never panics, and
// what it accepts is a delta within 32 bits and a refresher of uac, uas or
// none, whose canonical form parses to the same value.
func FuzzSessionExpires(f *testing.F) {
	for _, s := range []string{"1800", "90;refresher=uac", " 4000 ; Refresher = UAS ;x=1", "", ";", "9;refresher=", "4294967296"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		se, err := parseSessionExpires(s)
		if err != nil {
			return
		}
		if se.delta < 0 || se.delta > (1<<32-1)*time.Second || se.delta%time.Second != 0 {
			t.Fatalf("%q: delta %s", s, se.delta)
		}
		if se.refresher != "" && se.refresher != "uac" && se.refresher != "uas" {
			t.Fatalf("%q: refresher %q", s, se.refresher)
		}
		canon := secs(se.delta)
		if se.refresher != "" {
			canon += ";refresher=" + se.refresher
		}
		again, err := parseSessionExpires(canon)
		if err != nil || again != se {
			t.Fatalf("%q: canonical %q parses to %+v, %v", s, canon, again, err)
		}
	})
}

// FuzzMinSE: the Min-SE value parser never panics; what it accepts is a
// whole number of seconds within 32 bits, written back the same.
func FuzzMinSE(f *testing.F) {
	for _, s := range []string{"90", " 120 ;x=y", "", "90s", "99999999999", "1;;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseMinSE(s)
		if err != nil {
			return
		}
		if d < 0 || d > (1<<32-1)*time.Second || d%time.Second != 0 {
			t.Fatalf("%q: %s", s, d)
		}
		head, _, _ := strings.Cut(s, ";")
		if secs(d) != strings.TrimLeft(strings.TrimSpace(head), "0") && d != 0 {
			t.Fatalf("%q: %s is not its delta-seconds", s, d)
		}
	})
}
