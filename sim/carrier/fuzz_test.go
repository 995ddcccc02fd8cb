package carrier

import (
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// FuzzRegisterHeaders feeds the header values a REGISTER brings from the
// network (Authorization, Contact expires, Expires) to the carrier's
// checks: they must never panic nor grant without the right password.
func FuzzRegisterHeaders(f *testing.F) {
	f.Add(`Digest username="trunk", realm="r", nonce="n", uri="sip:r", response="0", qop=auth, nc=00000001, cnonce="x"`, "3600", "60")
	f.Add(`Digest username="trunk"`, "-1", "x")
	f.Add(`Basic dHJ1bms6c2VjcmV0`, "99999999999999", "")
	f.Fuzz(func(t *testing.T, auth, contactExpires, expires string) {
		d := newDigestAuth("r", map[string]string{"trunk": "secret"})
		req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: "r"})
		req.AppendHeader(sip.NewHeader("Authorization", auth))
		ct := &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "pbx", Host: "127.0.0.1"}, Params: sip.NewParams()}
		ct.Params.Add("expires", contactExpires)
		req.AppendHeader(ct)
		req.AppendHeader(sip.NewHeader("Expires", expires))
		if _, v := d.verify(req, false); v == granted {
			t.Fatalf("granted %q without a challenge of ours", auth)
		}
		if got, _ := requestedExpires(req, time.Hour); got < 0 {
			t.Fatalf("negative expires %s", got)
		}
		registerContact(req)
	})
}
