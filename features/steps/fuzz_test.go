package steps

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/pcapio"
)

// FuzzRawUAHandle feeds arbitrary datagrams to the raw endpoint: it must
// never panic, and it must still answer a well-formed CANCEL afterwards.
func FuzzRawUAHandle(f *testing.F) {
	for _, s := range []string{testInvite, testCancel, testAck, "\r\n\r\n", "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\n\r\n", "OPTIONS sip:x SIP/2.0\r\n\r\n"} {
		f.Add([]byte(s))
	}
	from := netip.MustParseAddrPort("127.0.0.1:5060")
	f.Fuzz(func(t *testing.T, data []byte) {
		u, c := offlineUA()
		u.handle(data, from)
		c.mu.Lock()
		before := len(c.written)
		c.mu.Unlock()
		u.handle([]byte(testCancel), from)
		c.mu.Lock()
		after := c.written[before:]
		c.mu.Unlock()
		if len(after) == 0 {
			t.Fatal("CANCEL not answered")
		}
		for _, b := range after {
			if _, err := sip.ParseMessage(b); err != nil {
				t.Fatalf("answer to CANCEL does not parse: %v\n%q", err, b)
			}
		}
	})
}

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
