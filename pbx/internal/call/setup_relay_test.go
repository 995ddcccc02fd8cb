package call_test

import (
	"slices"
	"testing"
	"testing/synctest"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/internal/sipx"
)

// TestSetupRelayedFinalResponse: a callee's final failure reaches the
// caller with the headers relay.go lists for its status, and nothing else
// of the callee's message (its X-Secret stays on its leg).
func TestSetupRelayedFinalResponse(t *testing.T) {
	contact := func(s string) sip.Header {
		var u sip.Uri
		if err := sip.ParseUri(s, &u); err != nil {
			t.Fatal(err)
		}
		return &sip.ContactHeader{Address: u, Params: sip.NewParams()}
	}
	for _, tc := range []struct {
		name   string
		code   int
		reason string
		// headers the callee adds; every one must reach the caller
		headers []sip.Header
	}{
		{"302 two contacts", 302, "Moved Temporarily", []sip.Header{
			contact("sip:1001@192.0.2.10:5060"), contact("sip:1001@192.0.2.11:5070"),
		}},
		{"407 challenge", 407, "Proxy Authentication Required", []sip.Header{
			sip.NewHeader("Proxy-Authenticate", `Digest realm="downstream.example", nonce="8a1b2c", algorithm=MD5, qop="auth"`),
		}},
		{"486 retry later", 486, "Busy Here", []sip.Header{
			sip.NewHeader("Retry-After", "120"),
			sip.NewHeader("Warning", `399 callee.example "In a meeting"`),
		}},
		{"480 with cause", 480, "Temporarily Unavailable", []sip.Header{
			sip.NewHeader("Reason", "Q.850;cause=18"),
		}},
		{"420 unsupported", 420, "Bad Extension", []sip.Header{
			sip.NewHeader("Unsupported", "foo"),
		}},
		{"422 session interval", 422, "Session Interval Too Small", []sip.Header{
			sip.NewHeader("Min-SE", "1800"),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newSetupRig(t, trustedCallers())
				a, b := r.ua("1000"), r.callee("1001")
				tx := r.invite(a, "1001", a.Offer(), nil)
				in := r.incoming(b, testua.Method(sip.INVITE))
				res := in.NewResponse(tc.code, tc.reason)
				for _, h := range tc.headers {
					res.AppendHeader(h)
				}
				res.AppendHeader(sip.NewHeader("X-Secret", "s3cret"))
				r.respond(in, res)
				if _, err := in.AwaitAck(r.ctx); err != nil {
					t.Fatalf("PBX did not ACK the callee's %d: %v", tc.code, err)
				}

				got := r.final(tx)
				if got.StatusCode != tc.code {
					t.Fatalf("caller got %d %s, want the callee's %d", got.StatusCode, got.Reason, tc.code)
				}
				for _, h := range tc.headers {
					if vals := headerValues(got, h.Name()); !slices.Contains(vals, h.Value()) {
						t.Errorf("caller's %d has %s %q, want %q among them", got.StatusCode, h.Name(), vals, h.Value())
					}
				}
				if n, want := len(got.GetHeaders(tc.headers[0].Name())), countName(tc.headers, tc.headers[0].Name()); n != want {
					t.Errorf("caller's %d has %d %s headers, want %d", got.StatusCode, n, tc.headers[0].Name(), want)
				}
				if v := headerValues(got, "X-Secret"); len(v) > 0 {
					t.Errorf("the callee's X-Secret crossed to the caller: %q", v)
				}
				// The leg's identity stays the PBX's own: the caller's dialog
				// identifiers, not the callee's.
				if got.CallID().Value() != tx.Request().CallID().Value() || toTag(got) == in.Tag() {
					t.Errorf("caller's response carries the callee leg's Call-ID or To tag: %s", got)
				}
			})
		})
	}
}

func countName(hs []sip.Header, name string) int {
	n := 0
	for _, h := range hs {
		if h.Name() == name {
			n++
		}
	}
	return n
}

// TestSetupCalleeOfferedOnlyWhatPBXDoes: the INVITE to the callee is the
// PBX's own: its Allow, its Supported (100rel, not the caller's timer,
// which the PBX does not do), and none of the caller's User-Agent.
func TestSetupCalleeOfferedOnlyWhatPBXDoes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSetupRig(t, trustedCallers())
		a, b := r.ua("1000"), r.callee("1001")
		tx := r.invite(a, "1001", a.Offer(), func(req *sip.Request) {
			req.AppendHeader(sip.NewHeader("Supported", "100rel, timer"))
			req.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, PRACK, REFER, UPDATE"))
			req.AppendHeader(sip.NewHeader("User-Agent", "CallerPhone/1.0"))
			req.AppendHeader(sip.NewHeader("Session-Expires", "1800"))
		})
		in := r.incoming(b, testua.Method(sip.INVITE))
		inv := in.Request()
		if got := headerValues(inv, "Allow"); len(got) != 1 || got[0] != sipx.Allowed {
			t.Errorf("callee's INVITE Allow %q, want the PBX's %q", got, sipx.Allowed)
		}
		for _, m := range []string{"REFER"} {
			if hasToken(headerValues(inv, "Allow"), m) {
				t.Errorf("callee's INVITE allows %s, which the PBX does not do", m)
			}
		}
		if !hasToken(headerValues(inv, "Supported"), "100rel") {
			t.Errorf("callee's INVITE Supported %q lacks 100rel", headerValues(inv, "Supported"))
		}
		for _, opt := range []string{"timer"} {
			if hasToken(headerValues(inv, "Supported"), opt) {
				t.Errorf("callee's INVITE Supported %q offers %s", headerValues(inv, "Supported"), opt)
			}
		}
		if v := headerValues(inv, "Session-Expires"); len(v) > 0 {
			t.Errorf("callee's INVITE carries the caller's Session-Expires %q", v)
		}
		// What it carries instead: no User-Agent at all (the PBX's requests
		// are prebuilt; sipgo adds none to them).
		if v := headerValues(inv, "User-Agent"); len(v) > 0 {
			t.Errorf("callee's INVITE User-Agent %q, want none (the caller's is not copied)", v)
		}
		// the call still works
		ok, err := in.Answer()
		if err != nil {
			t.Fatal(err)
		}
		go func() { _, _ = in.RespondUntilAck(r.ctx, ok) }()
		if res := r.final(tx); res.StatusCode != 200 {
			t.Fatalf("caller got %d", res.StatusCode)
		}
		r.ack(tx, nil)
		r.bye(tx.Dialog())
		r.incoming(b, testua.Method(sip.BYE))
	})
}
