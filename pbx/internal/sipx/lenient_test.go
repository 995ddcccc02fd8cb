package sipx

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func referWith(header string) []byte {
	return []byte("REFER sip:1002@127.0.0.1:5060 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-lenient\r\n" +
		"From: <sip:1001@127.0.0.1>;tag=a\r\nTo: <sip:1002@127.0.0.1>;tag=b\r\n" +
		"Call-ID: lenient\r\nCSeq: 2 REFER\r\nMax-Forwards: 70\r\n" +
		header + "Content-Length: 0\r\n\r\n")
}

// TestLenientReferHeaders: a REFER whose Refer-To or Referred-By sipgo
// cannot parse is read, the value kept as it came; good values are still
// sipgo's typed headers; a broken From still fails the message.
func TestLenientReferHeaders(t *testing.T) {
	p := newParser()
	for _, tc := range []struct {
		header, name, value string
		typed               bool
	}{
		{"Refer-To: <nowhere at all>\r\n", "Refer-To", "<nowhere at all>", false},
		{"Refer-To: nowhere\r\n", "Refer-To", "nowhere", false},
		{"Referred-By: <\r\n", "Referred-By", "<", false},
		{"Refer-To: <sip:1003@127.0.0.1>\r\n", "Refer-To", "<sip:1003@127.0.0.1>", true},
	} {
		msg, err := p.ParseSIP(referWith(tc.header))
		if err != nil {
			t.Errorf("%q: %v", tc.header, err)
			continue
		}
		req, ok := msg.(*sip.Request)
		if !ok {
			t.Fatalf("%q: %T", tc.header, msg)
		}
		h := req.GetHeader(tc.name)
		if h == nil || strings.TrimSpace(h.Value()) != tc.value {
			t.Errorf("%q: header %v", tc.header, h)
			continue
		}
		if _, typed := h.(*sip.ReferToHeader); typed != tc.typed && tc.name == "Refer-To" {
			t.Errorf("%q: typed %v, want %v", tc.header, typed, tc.typed)
		}
	}
	bad := strings.Replace(string(referWith("Refer-To: <sip:1003@127.0.0.1>\r\n")), "From: <sip:1001@127.0.0.1>;tag=a", "From: <", 1)
	if _, err := p.ParseSIP([]byte(bad)); err == nil {
		t.Error("a message with a broken From parses")
	}
}

// FuzzLenientReferTo: whatever a Refer-To holds, a REFER that is
// otherwise well-formed is read (the PBX can answer it) and nothing
// panics.
func FuzzLenientReferTo(f *testing.F) {
	for _, s := range []string{"<nowhere at all>", "<sip:1003@h?Replaces=a%3Bto-tag%3D1>", "", "<", "sip:x"} {
		f.Add(s)
	}
	p := newParser()
	f.Fuzz(func(t *testing.T, v string) {
		if strings.ContainsAny(v, "\r\n\x00") || strings.TrimSpace(v) == "" {
			return
		}
		if _, err := p.ParseSIP(referWith("Refer-To: " + v + "\r\n")); err != nil {
			t.Errorf("Refer-To %q: %v", v, err)
		}
	})
}
