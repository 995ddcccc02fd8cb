package sipx

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

const sdpBody = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"

// isupBody is an INVITE's SDP beside an ISUP IAM (RFC 3204), as carriers
// send it.
const isupBody = "--unique-boundary-1\r\n" +
	"Content-Type: application/sdp\r\n\r\n" + sdpBody +
	"--unique-boundary-1\r\n" +
	"Content-Type: application/ISUP; version=nxv3; base=etsi121\r\n" +
	"Content-Disposition: signal; handling=optional\r\n\r\n" +
	"\x01\x00\x49\x00\x00\x03\x02\x00\x07\x04\x10\x00\x33\x63\x21\x43\x00\x00\x03\r\n" +
	"--unique-boundary-1--\r\n"

func invite(ct, body string) *sip.Request {
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "1001", Host: "pbx.example.com"})
	req.AppendHeader(sip.NewHeader("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-mp"))
	req.AppendHeader(sip.NewHeader("From", "<sip:a@example.com>;tag=1"))
	req.AppendHeader(sip.NewHeader("To", "<sip:1001@pbx.example.com>"))
	req.AppendHeader(sip.NewHeader("Call-ID", "mp1"))
	req.AppendHeader(sip.NewHeader("CSeq", "1 INVITE"))
	if ct != "" {
		h := sip.ContentTypeHeader(ct)
		req.AppendHeader(&h)
	}
	req.SetBody([]byte(body))
	return req
}

// TestUseSDPPart: the SDP of an SDP+ISUP multipart (also nested in a
// multipart/alternative) replaces the body, with Content-Type
// application/sdp; bodies without an SDP part, malformed multiparts and
// plain SDP are left alone.
func TestUseSDPPart(t *testing.T) {
	nested := "--outer\r\nContent-Type: multipart/alternative; boundary=unique-boundary-1\r\n\r\n" + isupBody + "--outer--\r\n"
	for _, tc := range []struct {
		name, ct, body string
		changed        bool
	}{
		{"sdp and isup", `multipart/mixed; boundary=unique-boundary-1`, isupBody, true},
		{"quoted boundary", `Multipart/Mixed; boundary="unique-boundary-1"`, isupBody, true},
		{"nested", `multipart/mixed; boundary=outer`, nested, true},
		{"no sdp part", `multipart/mixed; boundary=unique-boundary-1`, strings.Replace(isupBody, "application/sdp", "text/plain", 1), false},
		{"no boundary", `multipart/mixed`, isupBody, false},
		{"wrong boundary", `multipart/mixed; boundary=other`, isupBody, false},
		{"truncated", `multipart/mixed; boundary=unique-boundary-1`, isupBody[:30], false},
		{"plain sdp", "application/sdp", sdpBody, false},
		{"no body", `multipart/mixed; boundary=unique-boundary-1`, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := invite(tc.ct, tc.body)
			if got := UseSDPPart(req); got != tc.changed {
				t.Fatalf("changed %v, want %v", got, tc.changed)
			}
			if !tc.changed {
				if string(req.Body()) != tc.body {
					t.Fatalf("body changed although nothing was used")
				}
				return
			}
			if string(req.Body()) != sdpBody || req.ContentType().Value() != "application/sdp" || len(req.GetHeaders("Content-Type")) != 1 {
				t.Fatalf("got Content-Type %v body %q", req.GetHeaders("Content-Type"), req.Body())
			}
			if err := Validate(req); err != nil {
				t.Fatalf("the rewritten INVITE fails validation: %v", err)
			}
		})
	}
	err := Validate(invite(`multipart/mixed; boundary=unique-boundary-1`, strings.Replace(isupBody, "application/sdp", "text/plain", 1)))
	if code, _, _ := StatusOf(err); code != 415 {
		t.Fatalf("a multipart without SDP: %v, want 415", err)
	}
}

// FuzzUseSDPPart: any Content-Type and body: no panic, and a body that
// was replaced is one of the parts (shorter than the original).
func FuzzUseSDPPart(f *testing.F) {
	f.Add(`multipart/mixed; boundary=unique-boundary-1`, []byte(isupBody))
	f.Add(`multipart/mixed; boundary=outer`, []byte("--outer\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n\r\n--b--\r\n--outer--"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", Host: "x"})
		h := sip.ContentTypeHeader(ct)
		req.AppendHeader(&h)
		req.SetBody(body)
		if UseSDPPart(req) && len(req.Body()) > len(body)+2 { // + a restored CRLF
			t.Fatalf("SDP part of %d bytes from a body of %d", len(req.Body()), len(body))
		}
	})
}
