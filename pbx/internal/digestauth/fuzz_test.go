package digestauth

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// FuzzVerify feeds arbitrary Authorization / Proxy-Authorization values to
// Verify: it must never panic, and whatever it accepts must carry the
// response that the real password gives for the credentials' own fields.
func FuzzVerify(f *testing.F) {
	a, _ := newAuth(f, []string{"SHA-256", "MD5"})
	good := register(f)
	answer(f, good, a.Challenge(good, "pbx", false, false), 0, "1000", "secret")
	f.Add(good.GetHeader("Authorization").Value(), false)
	f.Add("NoOneKnowsThisScheme opaque-data=here", false)
	f.Add(`Digest username="1000", realm="pbx", nonce="", uri="sip:pbx.example.com", response="", qop=auth, nc=zz`, true)
	f.Add(`Digest realm="pbx", nonce="AAAA", algorithm=SHA-512, qop=auth, nc=00000001, cnonce="x"`, false)
	f.Add(`digest username="\"`, false)
	f.Add("Digest ", true)
	f.Fuzz(func(t *testing.T, value string, proxy bool) {
		req := register(t)
		name := "Authorization"
		if proxy {
			name = "Proxy-Authorization"
		}
		req.AppendHeader(sip.NewHeader(name, value))
		user, realm, err := a.Verify(req, proxy)
		if err != nil {
			return
		}
		c, perr := digest.ParseCredentials(value)
		if perr != nil || user != "1000" || realm != "pbx" {
			t.Fatalf("authenticated %q as %q/%q", value, user, realm)
		}
		ch := &digest.Challenge{Realm: c.Realm, Nonce: c.Nonce, Algorithm: c.Algorithm}
		if c.QOP != "" {
			ch.QOP = []string{c.QOP}
		}
		want, derr := digest.Digest(ch, digest.Options{Method: "REGISTER", URI: c.URI, Username: c.Username,
			Password: "secret", Cnonce: c.Cnonce, Count: c.Nc})
		if derr != nil || !strings.EqualFold(want.Response, c.Response) {
			t.Fatalf("authenticated %q without the password's response", value)
		}
	})
}
