package sipreg

import (
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

func TestGrantedExpires(t *testing.T) {
	ours := sip.Uri{User: "trunk1", Host: "192.0.2.1", Port: 5060}
	contact := func(v string) sip.Header {
		ct := &sip.ContactHeader{Params: sip.NewParams()}
		if _, err := sip.ParseAddressValue(v, &ct.Address, &ct.Params); err != nil {
			t.Fatal(err)
		}
		return ct
	}
	for _, tc := range []struct {
		name    string
		headers []sip.Header
		want    time.Duration
	}{
		{"our contact's expires", []sip.Header{contact("<sip:trunk1@192.0.2.1:5060>;expires=600"), sip.NewHeader("Expires", "900")}, 600 * time.Second},
		{"another contact's expires is not ours", []sip.Header{contact("<sip:other@192.0.2.9:5060>;expires=60"), sip.NewHeader("Expires", "900")}, 900 * time.Second},
		{"host case does not matter", []sip.Header{contact("<sip:trunk1@192.0.2.1:5060>;expires=300")}, 300 * time.Second},
		{"garbage expires, no header: what was asked", []sip.Header{contact("<sip:trunk1@192.0.2.1:5060>;expires=soon")}, time.Hour},
		{"huge values are capped", []sip.Header{sip.NewHeader("Expires", "99999999999")}, (1<<32 - 1) * time.Second},
	} {
		res := sip.NewResponse(200, "OK")
		for _, h := range tc.headers {
			res.AppendHeader(h)
		}
		if got := GrantedExpires(res, ours, time.Hour); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func FuzzDeltaSeconds(f *testing.F) {
	for _, s := range []string{"3600", " 60 ", "-1", "99999999999999999999", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if d, ok := DeltaSeconds(v); d < 0 || (!ok && d != 0) || d > (1<<32-1)*time.Second {
			t.Fatalf("DeltaSeconds(%q) = %v, %v", v, d, ok)
		}
	})
}
