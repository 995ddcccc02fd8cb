package sipx

import (
	"bytes"
	"testing"

	"github.com/emiago/sipgo/sip"
)

const noEmptyLine = "OPTIONS sip:pbx.example.com SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-x1\r\n" +
	"Max-Forwards: 70\r\nTo: <sip:pbx.example.com>\r\nFrom: <sip:a@example.com>;tag=1\r\n" +
	"Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0"

// TestCompleteHeaders: a request whose headers end without the empty line
// (with or without the last CRLF) becomes one sipgo's parser reads as a
// message without a body; complete messages, keepalives and a datagram
// filling the buffer are left as they are.
func TestCompleteHeaders(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		room     int
		changed  bool
	}{
		{"no final CRLF", noEmptyLine, 8, true},
		{"one CRLF", noEmptyLine + "\r\n", 8, true},
		{"bare LF", noEmptyLine + "\n", 8, false},
		{"complete", noEmptyLine + "\r\n\r\n", 8, false},
		{"complete with body", noEmptyLine[:len(noEmptyLine)-1] + "2\r\n\r\nab", 8, false},
		{"keepalive", "\r\n\r\n", 8, false},
		{"single keepalive", "\r\n", 8, false},
		{"no room", noEmptyLine, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf := make([]byte, len(tc.in)+tc.room)
			n := completeHeaders(buf, copy(buf, tc.in))
			if got := string(buf[:n]) != tc.in; got != tc.changed {
				t.Fatalf("changed %v, want %v: %q", got, tc.changed, buf[:n])
			}
			if !tc.changed {
				return
			}
			m, err := sip.ParseMessage(buf[:n])
			if err != nil {
				t.Fatalf("completed datagram still unparsable: %v\n%q", err, buf[:n])
			}
			if req, ok := m.(*sip.Request); !ok || req.Method != sip.OPTIONS || len(req.Body()) != 0 {
				t.Fatalf("parsed %v, want the OPTIONS without a body", m)
			}
		})
	}
	if _, err := sip.ParseMessage([]byte(noEmptyLine)); err == nil {
		t.Fatal("test premise: sipgo parses a datagram without the empty line")
	}
}

// FuzzCompleteHeaders: any datagram keeps its bytes, gains at most the end
// of its headers and stays within the buffer; never a panic.
func FuzzCompleteHeaders(f *testing.F) {
	f.Add([]byte(noEmptyLine), 4)
	f.Add([]byte("\r\n"), 0)
	f.Fuzz(func(t *testing.T, in []byte, room int) {
		if room < 0 || room > 64 {
			return
		}
		buf := make([]byte, len(in)+room)
		n := completeHeaders(buf, copy(buf, in))
		if n < len(in) || n > len(buf) || n > len(in)+4 || !bytes.Equal(buf[:len(in)], in) {
			t.Fatalf("completeHeaders(%q) = %q", in, buf[:n])
		}
	})
}
