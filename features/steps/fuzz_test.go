package steps

import (
	"bytes"
	"net/netip"
	"testing"

	"pbxlab/internal/pcapio"
)

// FuzzSIPMessagesOf feeds arbitrary bytes as a capture file.
func FuzzSIPMessagesOf(f *testing.F) {
	var buf bytes.Buffer
	w, _ := pcapio.NewWriter(&buf)
	a, b := netip.MustParseAddrPort("127.0.0.1:5999"), netip.MustParseAddrPort("[::1]:5060")
	w.UDP(a, b, []byte(testInvite))
	w.TCP(b, a, []byte(testCancel))
	_ = w.Close()
	f.Add(buf.Bytes())
	f.Add([]byte{})
	f.Add(buf.Bytes()[:len(buf.Bytes())/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		msgs, _ := sipMessagesOf(data)
		for _, m := range msgs {
			if m.Msg == nil {
				t.Fatal("nil message")
			}
		}
	})
}

// FuzzHeaderMatches: a header value always matches itself.
func FuzzHeaderMatches(f *testing.F) {
	f.Add(`SIP ;cause=200 ;text="Call completed elsewhere"`)
	f.Add(`;;=;`)
	f.Fuzz(func(t *testing.T, s string) {
		if !headerMatches(s, s) {
			t.Fatalf("%q does not match itself", s)
		}
	})
}
