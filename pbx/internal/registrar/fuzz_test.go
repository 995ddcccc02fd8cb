package registrar

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// FuzzHandle feeds raw messages through sipgo's parser into Handle, with and
// without authentication: it must never panic and always answer with a
// final status.
func FuzzHandle(f *testing.F) {
	files, err := filepath.Glob("testdata/rfc4475/*.dat")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte(reg{user: "1000", expires: "600", contacts: []string{"<sip:1000@10.0.0.5>;q=0.5;expires=30", "*"}}.build(f).String()))
	f.Add([]byte("REGISTER sip:a SIP/2.0\r\nTo: <sip:%zz@a>\r\nFrom: <sip:b@a>;tag=1\r\nCall-ID: x\r\nCSeq: 4294967295 REGISTER\r\n" +
		"Via: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK1\r\nContact: <sip:x@[::1]:99999>;expires=-1;q=nan\r\nExpires: 0\r\nAuthorization: Digest realm=\"pbx\"\r\nContent-Length: 0\r\n\r\n"))
	plain, _ := newReg(f, nil, false)
	authed, _ := newReg(f, nil, true)
	ctx := testCtx(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		msg, err := sip.ParseMessage(raw)
		if err != nil {
			return
		}
		req, ok := msg.(*sip.Request)
		if !ok {
			return
		}
		for _, r := range []*Registrar{plain, authed} {
			res := r.Handle(ctx, req)
			if res == nil || res.StatusCode < 200 || res.StatusCode > 699 {
				t.Fatalf("Handle returned %v", res)
			}
			if res.StatusCode != 200 {
				continue
			}
			bs, err := r.Lookup(ctx, req.To().Address.User)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range bs {
				_ = b.Target()
			}
		}
	})
}
