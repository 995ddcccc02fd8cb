package registrar

import (
	"os"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

func TestHandleAuthentication(t *testing.T) {
	tests := []struct {
		name      string
		authUser  string
		password  string
		advance   time.Duration // between challenge and answer
		code      int
		wantStale bool
	}{
		{"correct", "1000", "pw1000", 0, 200, false},
		{"wrong password re-challenged", "1000", "nope", 0, 401, false},
		{"unknown user re-challenged", "9999", "pw1000", 0, 401, false},
		{"other user's credentials", "1001", "pw1001", 0, 403, false},
		{"stale nonce", "1000", "pw1000", 6 * time.Minute, 401, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, clk := newReg(t, nil, true)
			req := reg{user: "1000", expires: "600", contacts: []string{"sip:1000@10.0.0.5"}}.build(t)
			res := r.Handle(testCtx(t), req)
			if res.StatusCode != 401 || len(res.GetHeaders("WWW-Authenticate")) != 2 {
				t.Fatalf("first REGISTER: %d with %d challenges, want 401 with 2", res.StatusCode, len(res.GetHeaders("WWW-Authenticate")))
			}
			clk.Advance(tc.advance)
			authorize(t, req, res, tc.authUser, tc.password)
			req.CSeq().SeqNo++
			res = r.Handle(testCtx(t), req)
			if res.StatusCode != tc.code {
				t.Fatalf("status %d %s, want %d", res.StatusCode, res.Reason, tc.code)
			}
			if res.StatusCode == 401 {
				chal, err := digest.ParseChallenge(res.GetHeader("WWW-Authenticate").Value())
				if err != nil || chal.Stale != tc.wantStale {
					t.Fatalf("challenge stale=%v (%v), want %v", chal != nil && chal.Stale, err, tc.wantStale)
				}
			}
			bs, _ := r.Lookup(testCtx(t), "1000")
			if (len(bs) == 1) != (tc.code == 200) {
				t.Fatalf("bindings %v after %d", describe(bs), res.StatusCode)
			}
		})
	}
}

func parseFile(t testing.TB, name string) *sip.Request {
	t.Helper()
	raw, err := os.ReadFile("testdata/rfc4475/" + name)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := sip.ParseMessage(raw)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	req, ok := msg.(*sip.Request)
	if !ok {
		t.Fatalf("%s is not a request", name)
	}
	return req
}

// TestRFC4475 runs the registrar cases of RFC 4475 that sipgo parses.
func TestRFC4475(t *testing.T) {
	tests := []struct {
		file     string
		auth     bool
		code     int
		aor      string
		contacts []string // Lookup's contacts, sorted
	}{
		// §3.1.1.4: %00 must not truncate; two distinct contacts.
		{"escnull.dat", false, 200, "null-%00-null", []string{"sip:%00%00@host5.example.com", "sip:%00@host5.example.com"}},
		// §3.3.12: ;unknownparam outside <> is a contact param, not a URI param.
		{"cparam01.dat", false, 200, "watson", []string{"sip:+19725552222@gw1.example.net"}},
		// §3.3.13: inside <> it is a URI param and stays one.
		{"cparam02.dat", false, 200, "watson", []string{"sip:+19725552222@gw1.example.net;unknownparam"}},
		// §3.3.14: the escaped Route header stays in the contact URI.
		{"regescrt.dat", false, 200, "user", []string{"sip:user@example.com?Route=%3Csip:sip.example.com%3E"}},
		// §3.3.7: unknown scheme: challenged with auth, registered without.
		{"regaut01.dat", true, 401, "j.user", nil},
		{"regaut01.dat", false, 200, "j.user", nil},
		// §3.3.4: To isbn: is not an AOR.
		{"unksm2.dat", false, 400, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			r, _ := newReg(t, nil, tc.auth)
			req := parseFile(t, tc.file)
			res := r.Handle(testCtx(t), req)
			if res.StatusCode != tc.code {
				t.Fatalf("status %d %s, want %d", res.StatusCode, res.Reason, tc.code)
			}
			if tc.code == 401 && res.GetHeader("WWW-Authenticate") == nil {
				t.Fatal("401 without a Digest challenge")
			}
			if tc.contacts == nil {
				return
			}
			bs, err := r.Lookup(testCtx(t), tc.aor)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, b := range bs {
				got = append(got, b.Contact)
			}
			if len(got) != len(tc.contacts) {
				t.Fatalf("contacts %q, want %q", got, tc.contacts)
			}
			for i := range got {
				if got[i] != tc.contacts[i] {
					t.Fatalf("contacts %q, want %q", got, tc.contacts)
				}
			}
			// The 200 lists them the same way (URI params inside <>, none leaked).
			for _, h := range res.GetHeaders("Contact") {
				c := h.(*sip.ContactHeader)
				if c.Params.Has("unknownparam") || (tc.file == "cparam01.dat" && c.Address.UriParams.Has("unknownparam")) {
					t.Fatalf("200 contact %q", c.Value())
				}
			}
		})
	}
}
