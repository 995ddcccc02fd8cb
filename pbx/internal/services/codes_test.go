package services

import "testing"

func TestParseToggle(t *testing.T) {
	for _, tc := range []struct {
		dialled string
		want    Toggle
	}{
		{"*56#", ToggleOn}, {"*56%23", ToggleOn}, {"*56", ToggleOn}, {"%2A56%23", ToggleOn},
		{"#56#", ToggleOff}, {"%2356%23", ToggleOff}, {"#56", ToggleOff},
		{"*56*1#", ToggleMalformed}, {"#56*", ToggleMalformed}, {"#56##", ToggleMalformed}, {"*56##", ToggleMalformed},
		{"*5", ToggleNone}, {"*560", ToggleNone}, {"1056", ToggleNone}, {"*58#", ToggleNone}, {"", ToggleNone},
	} {
		if got := ParseToggle(tc.dialled, "56"); got != tc.want {
			t.Errorf("ParseToggle(%q, 56) = %d, want %d", tc.dialled, got, tc.want)
		}
	}
}

func TestNormaliseCode(t *testing.T) {
	for in, want := range map[string]string{"*51*01*1001#": "*51*01*1001", "*51%2A01%2a1001%23": "*51*01*1001", "**01": "**01", "#57#": "#57", "1001": "1001"} {
		if got := NormaliseCode(in); got != want {
			t.Errorf("NormaliseCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseToggle(f *testing.F) {
	for _, s := range []string{"*56#", "#56%23", "*56*", "%2", "#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dialled string) {
		got := ParseToggle(dialled, "56")
		if got > ToggleMalformed {
			t.Fatalf("ParseToggle(%q) = %d", dialled, got)
		}
		if got == ToggleOn && NormaliseCode(dialled) != "*56" {
			t.Fatalf("ParseToggle(%q) = on", dialled)
		}
	})
}
