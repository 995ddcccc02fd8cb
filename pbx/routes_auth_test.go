package pbx_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
)

// TestVirtualRouteAnswersCarrierChallenge: the carrier answers the PBX's
// INVITE with 407; the PBX sends it again once with the peer's credentials
// (RFC 3261 §22.2: same Call-ID and From tag, CSeq + 1, a new Via branch,
// a correct digest response) and the carrier's 200 answers the call. A
// carrier that refuses those credentials too (a second 407 without
// stale=true) gets no third INVITE: the caller gets 500, not a loop and
// not the carrier's challenge.
func TestVirtualRouteAnswersCarrierChallenge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		h := startVirtual(t, routeConfig(config.Peer{Name: "carrier", Host: "10.0.0.201", Username: "pbx", Password: "s3cret"}))
		carrier := virtualCarrier(t, h, "10.0.0.201:5060")
		u := virtualUA(t, h, "1000")
		const challenge = `Digest realm="carrier", nonce="n0nce", algorithm=MD5`

		tx, err := u.Start(u.NewInvite("90123456789", u.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		first := nthInvite(ctx, t, carrier, 1)
		chal := first.NewResponse(407, "Proxy Authentication Required")
		chal.AppendHeader(sip.NewHeader("Proxy-Authenticate", challenge))
		if err := first.Respond(chal); err != nil {
			t.Fatal(err)
		}
		second := nthInvite(ctx, t, carrier, 2)
		r1, r2 := first.Request(), second.Request()
		if r2.CallID().Value() != r1.CallID().Value() || r2.From().Params.GetOr("tag", "") != r1.From().Params.GetOr("tag", "") {
			t.Errorf("the authenticated INVITE is another call: Call-ID %s / %s", r2.CallID().Value(), r1.CallID().Value())
		}
		if r2.CSeq().SeqNo != r1.CSeq().SeqNo+1 {
			t.Errorf("CSeq %d after %d, want +1", r2.CSeq().SeqNo, r1.CSeq().SeqNo)
		}
		if r2.Via().Params.GetOr("branch", "") == r1.Via().Params.GetOr("branch", "") {
			t.Error("the authenticated INVITE reuses the challenged transaction's branch")
		}
		if r2.To().Params.Has("tag") {
			t.Error("the authenticated INVITE has a To tag")
		}
		h2 := r2.GetHeader("Proxy-Authorization")
		if h2 == nil {
			t.Fatal("no Proxy-Authorization in the second INVITE")
		}
		chl, err := digest.ParseChallenge(challenge)
		if err != nil {
			t.Fatal(err)
		}
		want, err := digest.Digest(chl, digest.Options{Method: "INVITE", URI: r2.Recipient.String(), Username: "pbx", Password: "s3cret"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := digest.ParseCredentials(h2.Value())
		if err != nil {
			t.Fatal(err)
		}
		if got.Username != "pbx" || got.Response != want.Response {
			t.Errorf("credentials %q, want user pbx and response %s", h2.Value(), want.Response)
		}
		ok, err := second.Answer()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := second.RespondUntilAck(ctx, ok); err != nil {
			t.Fatal(err)
		}
		res, err := tx.Final(ctx)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("caller: %v %v, want 200", res, err)
		}
		if _, err := tx.Ack(nil); err != nil {
			t.Fatal(err)
		}
		if res, err := tx.Dialog().Bye(ctx); err != nil || res.StatusCode != 200 {
			t.Fatalf("BYE: %v %v", res, err)
		}
		if bye, err := carrier.AwaitIncoming(ctx, testua.Method(sip.BYE)); err != nil || bye.Request().CallID().Value() != r1.CallID().Value() {
			t.Fatalf("BYE at the carrier: %v", err)
		}

		// the credentials refused: a second 407, no third INVITE
		tx, err = u.Start(u.NewInvite("90123456789", u.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		for n := 3; n <= 4; n++ {
			in := nthInvite(ctx, t, carrier, n)
			chal := in.NewResponse(407, "Proxy Authentication Required")
			chal.AppendHeader(sip.NewHeader("Proxy-Authenticate", challenge))
			if err := in.Respond(chal); err != nil {
				t.Fatal(err)
			}
		}
		res, err = tx.Final(ctx)
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if n := invites(carrier); n != 4 || res.StatusCode != 500 {
			t.Errorf("refused credentials: %d INVITEs at the carrier, caller got %d; want 4 and 500 (not the carrier's challenge)", n, res.StatusCode)
		}
		if res.GetHeader("Proxy-Authenticate") != nil {
			t.Error("the carrier's challenge reached the caller")
		}
	})
}

// TestVirtualRouteTollFraud: an INVITE without credentials to a number that
// routes out is challenged (407) and never reaches the carrier; the same
// subscriber with its digest credentials goes out.
func TestVirtualRouteTollFraud(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		cfg := routeConfig(config.Peer{Name: "carrier", Host: "10.0.0.201"})
		cfg.TrustedPeers = nil // nobody on the network is trusted
		h := startVirtual(t, cfg)
		carrier := virtualCarrier(t, h, "10.0.0.201:5060")
		u := virtualUA(t, h, "1000")

		inv := u.NewInvite("90123456789", u.Offer())
		res, err := u.Do(ctx, inv)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 407 {
			t.Fatalf("unauthenticated INVITE to a route: %d, want 407", res.StatusCode)
		}
		synctest.Wait()
		if n := invites(carrier); n != 0 {
			t.Fatalf("an unauthenticated INVITE reached the carrier (%d INVITEs)", n)
		}
		// an unknown user with made-up credentials: refused, never out
		bad, err := testua.Authorize(inv, res, "6666", "guess")
		if err != nil {
			t.Fatal(err)
		}
		bad.From().Address.User = "6666"
		if res, err := u.Do(ctx, bad); err != nil || res.StatusCode < 400 {
			t.Fatalf("made-up credentials: %v %v, want a refusal", res, err)
		}
		synctest.Wait()
		if n := invites(carrier); n != 0 {
			t.Fatalf("made-up credentials reached the carrier (%d INVITEs)", n)
		}

		authed, err := testua.Authorize(inv, res, "1000", "demo1000")
		if err != nil {
			t.Fatal(err)
		}
		tx, err := u.Start(authed)
		if err != nil {
			t.Fatal(err)
		}
		if err := nthInvite(ctx, t, carrier, 1).Reply(486, "Busy Here"); err != nil {
			t.Fatal(err)
		}
		res, err = tx.Final(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 486 {
			t.Errorf("subscriber with credentials: %d, want the carrier's 486", res.StatusCode)
		}
		if !strings.HasPrefix(nthInvite(ctx, t, carrier, 1).Request().Recipient.User, "0123") {
			t.Error("the carrier got another number")
		}
	})
}
