package phone

import (
	"errors"
	"testing"
)

func TestTransferSipfragStatus(t *testing.T) {
	for _, tc := range []struct {
		body string
		code int
		err  bool
	}{
		{"SIP/2.0 200 OK\r\n", 200, false},
		{"SIP/2.0 100 Trying", 100, false},
		{"sip/2.0 486 Busy Here\r\nContent-Length: 0\r\n", 486, false},
		{"", 0, true},
		{"SIP/2.0\r\n", 0, true},
		{"HTTP/1.1 200 OK\r\n", 0, true},
		{"SIP/2.0 99 Low\r\n", 0, true},
		{"SIP/2.0 abc Bad\r\n", 0, true},
	} {
		code, err := SipfragStatus([]byte(tc.body))
		if code != tc.code || (err != nil) != tc.err || (err != nil && !errors.Is(err, ErrRefer)) {
			t.Errorf("SipfragStatus(%q) = %d, %v; want %d (error %v)", tc.body, code, err, tc.code, tc.err)
		}
	}
}

func FuzzTransferSipfrag(f *testing.F) {
	for _, s := range []string{"SIP/2.0 200 OK\r\n", "SIP/2.0 603 Declined", "\n", "SIP/2.0 1000 x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		code, err := SipfragStatus(b)
		if err == nil && (code < 100 || code > 699) {
			t.Fatalf("SipfragStatus(%q) = %d without an error", b, code)
		}
	})
}
