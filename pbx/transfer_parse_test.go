package pbx

import (
	"errors"
	"testing"
)

func TestTransferParseReferTo(t *testing.T) {
	tests := []struct {
		in      string
		number  string
		replace *replaces
		err     error
	}{
		{in: "<sip:1003@pbx.example>", number: "1003"},
		{in: "sip:1003@10.0.0.1:5060", number: "1003"},
		{in: `"Carol" <sips:1003@pbx.example;transport=tls>;x=y`, number: "1003"},
		{in: "<sip:1003%23@pbx.example>", number: "1003"},
		{in: "<sip:1003@pbx?Replaces=abc%40h%3Bto-tag%3D12%3Bfrom-tag%3D34>", number: "1003",
			replace: &replaces{callID: "abc@h", toTag: "12", fromTag: "34"}},
		{in: "<sip:1003@pbx?replaces=abc%3Bfrom-tag%3D34%3Bto-tag%3D12%3Bearly-only>", number: "1003",
			replace: &replaces{callID: "abc", toTag: "12", fromTag: "34", earlyOnly: true}},
		{in: "", err: ErrBadReferTo},
		{in: "<tel:+15551234>", err: ErrBadReferTo},
		{in: "<sip:pbx.example>", err: ErrBadReferTo},
		{in: "<sip:1003@pbx?Replaces=abc%3Bto-tag%3D12>", err: ErrBadReferTo},
		{in: "<sip:1003@pbx?Replaces=%ZZ>", err: ErrBadReferTo},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseReferTo(tt.in)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("parseReferTo(%q) = %+v, %v; want %v", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got.number != tt.number {
				t.Fatalf("parseReferTo(%q) = %+v, %v; want number %s", tt.in, got, err, tt.number)
			}
			if (got.replaces == nil) != (tt.replace == nil) || (got.replaces != nil && *got.replaces != *tt.replace) {
				t.Fatalf("parseReferTo(%q) replaces = %+v; want %+v", tt.in, got.replaces, tt.replace)
			}
		})
	}
}

func FuzzTransferReferTo(f *testing.F) {
	for _, s := range []string{"<sip:1003@pbx>", "<sip:1003@pbx?Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2>", `"x" <sips:1@h;a=b?c=d>`, "sip:@", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseReferTo(s)
		if err != nil {
			return
		}
		if got.number == "" {
			t.Fatalf("parseReferTo(%q) accepted without a number", s)
		}
		if r := got.replaces; r != nil && (r.callID == "" || r.toTag == "" || r.fromTag == "") {
			t.Fatalf("parseReferTo(%q) accepted an incomplete Replaces %+v", s, r)
		}
	})
}

func FuzzTransferReplaces(f *testing.F) {
	for _, s := range []string{"a@b;to-tag=1;from-tag=2", "a;from-tag=2;to-tag=1;early-only", ";;", "x;to-tag=;from-tag="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseReplaces(s)
		if err == nil && (r.callID == "" || r.toTag == "" || r.fromTag == "") {
			t.Fatalf("parseReplaces(%q) = %+v without an error", s, r)
		}
	})
}
