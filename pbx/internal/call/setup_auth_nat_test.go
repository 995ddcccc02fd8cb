package call_test

import (
	"net/netip"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"pbxlab/internal/testua"
)

// TestSetupInviteStaleNonce: an INVITE answering the PBX's 407 with a nonce
// older than auth.nonce_ttl gets a new 407 whose challenges say stale=true
// (RFC 3261 §22.4, RFC 7616 §3.3: the credentials were right, only the
// nonce is old); answering that one places the call.
func TestSetupInviteStaleNonce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSetupRig(t) // no trusted peers: callers authenticate
		a, b := r.ua("1000"), r.callee("1001")
		stale := func(res *sip.Response) []bool {
			var out []bool
			for _, h := range res.GetHeaders("Proxy-Authenticate") {
				ch, err := digest.ParseChallenge(h.Value())
				if err != nil {
					t.Fatalf("challenge %q: %v", h.Value(), err)
				}
				out = append(out, ch.Stale)
			}
			return out
		}
		inv := a.NewInvite("1001", a.Offer())
		first, err := a.Do(r.ctx, inv)
		if err != nil || first.StatusCode != 407 {
			t.Fatalf("unauthenticated INVITE: %v, %v", first, err)
		}
		if s := stale(first); len(s) == 0 || s[0] {
			t.Fatalf("first challenge stale flags %v, want not stale", s)
		}

		time.Sleep(r.h.Config.Auth.NonceTTL + time.Second) // the nonce expires
		late, err := testua.Authorize(inv, first, "1000", "demo1000")
		if err != nil {
			t.Fatal(err)
		}
		again, err := a.Do(r.ctx, late)
		if err != nil || again.StatusCode != 407 {
			t.Fatalf("INVITE with an expired nonce: %v, %v; want 407", again, err)
		}
		for i, s := range stale(again) {
			if !s {
				t.Errorf("challenge %d after an expired nonce is not stale=true: %q", i, headerValues(again, "Proxy-Authenticate"))
			}
		}
		if len(b.Incoming(testua.Method(sip.INVITE))) != 0 {
			t.Fatal("an INVITE with an expired nonce reached the callee")
		}

		fresh, err := testua.Authorize(late, again, "1000", "demo1000")
		if err != nil {
			t.Fatal(err)
		}
		tx, err := a.Start(fresh)
		if err != nil {
			t.Fatal(err)
		}
		in := r.incoming(b, testua.Method(sip.INVITE))
		go func() { _ = r.answer(in) }()
		if res := r.final(tx); res.StatusCode != 200 {
			t.Fatalf("INVITE with a fresh nonce: %d, want 200", res.StatusCode)
		}
		r.ack(tx, nil)
		r.bye(tx.Dialog())
		r.incoming(b, testua.Method(sip.BYE))
	})
}

// TestSetupRport: a caller behind NAT (Via and Contact name a private
// address, the Via has rport) gets its responses at the address and port
// its INVITE came from (RFC 3581 §4), and the PBX's in-dialog requests go
// there too; a callee registered from behind NAT is called at the source
// of its REGISTER.
func TestSetupRport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSetupRig(t, trustedCallers())
		const callerPrivate, calleePrivate = "192.168.1.10:5062", "192.168.7.20:5070"
		a := r.ua("1000")
		b := r.callee("1001", "<sip:1001@"+calleePrivate+">")

		tx := r.invite(a, "1001", a.Offer(), func(req *sip.Request) {
			via := req.Via()
			ap := netip.MustParseAddrPort(callerPrivate)
			via.Host, via.Port = ap.Addr().String(), int(ap.Port())
			if !via.Params.Has("rport") {
				t.Fatal("testua's Via has no rport")
			}
			req.Contact().Address.Host, req.Contact().Address.Port = ap.Addr().String(), int(ap.Port())
		})
		// at its socket, not at the private contact (nothing listens there);
		// the Request-URI is the contact with the source's host and port
		in := r.incoming(b, testua.Method(sip.INVITE), "INVITE to the callee behind NAT")
		if u := in.Request().Recipient; u.User != "1001" {
			t.Errorf("callee's Request-URI %s", u.String())
		}
		go func() { _ = r.answer(in) }()
		res := r.final(tx) // at the caller's socket, not at the Via's sent-by
		if res.StatusCode != 200 {
			t.Fatalf("caller got %d", res.StatusCode)
		}
		for _, rec := range a.Received(testua.And(testua.Of(tx.Request()), testua.Responses())) {
			via := rec.Response().Via()
			rport, _ := via.Params.Get("rport")
			received, _ := via.Params.Get("received")
			if rport != strconv.Itoa(int(a.Local().Port())) || received != a.Local().Addr().String() {
				t.Errorf("%d's Via %s: want received=%s;rport=%d", rec.Response().StatusCode, via.Value(), a.Local().Addr(), a.Local().Port())
			}
		}
		r.ack(tx, nil)
		// the callee hangs up: the PBX's BYE to the caller goes to the
		// source of its INVITE (its Contact names the private address)
		r.bye(in.Dialog())
		bye := r.incoming(a, testua.Method(sip.BYE), "BYE to the caller behind NAT")
		if bye.Request().Recipient.HostPort() != callerPrivate {
			t.Errorf("caller's BYE Request-URI %s, want its Contact %s", bye.Request().Recipient.String(), callerPrivate)
		}
	})
}
