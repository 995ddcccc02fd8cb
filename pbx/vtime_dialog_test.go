package pbx_test

import (
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"pbxlab/internal/testua"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest/vnet"
	"pbxlab/sim/phone"
)

// Exact dialog timings and orderings in virtual time (docs/VIRTUAL_TIME.md):
// the PBX and wire-level test UAs (internal/testua) on the in-memory
// network, inside a synctest bubble.

// startVirtual starts the PBX on the in-memory network; cfg nil is the demo
// configuration. The bubble settles before each cleanup closes something.
func startVirtual(t *testing.T, cfg *config.Config) *vnet.Harness {
	t.Helper()
	return vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait))
}

// trustingPhones is the demo configuration with the in-memory network's
// phone addresses (10.0.0.x) trusted, so a test UA calls without digest.
func trustingPhones() *config.Config {
	cfg := config.Demo()
	cfg.TrustedPeers = []config.TrustedPeer{{Name: "raw", Address: "10.0.0.0/8"}}
	return cfg
}

// virtualUA opens a test UA for user on a fresh address of h's network.
func virtualUA(t *testing.T, h *vnet.Harness, user string) *testua.UA {
	t.Helper()
	u, err := testua.New(testua.Config{Transport: "udp", PBX: h.Addr, User: user}, testua.WithPacketConn(h.Listen("")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		synctest.Wait()
		if err := u.Close(); err != nil {
			t.Errorf("close test ua: %v", err)
		}
	})
	return u
}

// TestVirtual2xxRetransmissionSchedule: the PBX retransmits its 200 to a
// caller that never ACKs T1, 2*T1, 4*T1 ... after the previous one, capped
// at T2 (0.5, 1, 2, 4, 4 ... s), and ends the call with BYE at 64*T1 = 32 s
// (RFC 3261 §13.3.1.4). Virtual time makes every instant exact, so a
// schedule at a fixed T2, or doubling past T2, fails here.
func TestVirtual2xxRetransmissionSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		h := startVirtual(t, trustingPhones())
		callee := h.Phone("1001")
		u := virtualUA(t, h, "1000")
		tx, err := u.Start(u.NewInvite("1001", u.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		if res, err := tx.Final(ctx); err != nil || res.StatusCode != 200 {
			t.Fatalf("INVITE answered %v, %v", res, err)
		}
		bye, err := u.AwaitIncoming(ctx, testua.Method(sip.BYE)) // never ACKed: the PBX gives up
		if err != nil {
			t.Fatalf("no BYE: %v", err)
		}
		oks := u.Received(testua.And(testua.Status(200), testua.Of(tx.Request())))
		var got []time.Duration
		for _, r := range oks {
			got = append(got, r.At.Sub(oks[0].At))
		}
		s := time.Second
		want := []time.Duration{0, s / 2, 3 * s / 2, 7 * s / 2, 15 * s / 2, 23 * s / 2, 31 * s / 2, 39 * s / 2, 47 * s / 2, 55 * s / 2, 63 * s / 2}
		if !slices.Equal(got, want) {
			t.Errorf("200 OK sent at %v, want %v (T1 doubling to T2)", got, want)
		}
		if at := bye.Record().At.Sub(oks[0].At); at != 32*time.Second {
			t.Errorf("BYE at %v after the first 200, want 64*T1 = 32s", at)
		}
		c, err := callee.NextIncoming(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if end, err := c.Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
			t.Errorf("callee leg end = %+v, %v; want BYE from the PBX", end, err)
		}
		if recs := cdrsOf(t, h); len(recs) != 1 || recs[0].Reason != "no ACK" {
			t.Errorf("CDRs %+v, want one ended by no ACK", recs)
		}
	})
}

// TestVirtualLateOfferByeOvertakesAck: the caller's INVITE has no SDP (late
// offer), so the callee's 200 carries the offer, the caller's ACK the
// answer, and the PBX's ACK to the callee must carry that answer. The
// caller sends BYE before its ACK (UDP and sipgo's goroutines may reorder
// them): the PBX must hold the BYE until the ACK, so that the callee gets
// the ACK with the answer first, then the BYE (RFC 3261 §15: a BYE follows
// the ACK; §13.2.2.4: the ACK completes the offer/answer).
func TestVirtualLateOfferByeOvertakesAck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		h := startVirtual(t, trustingPhones())
		callee := virtualUA(t, h, "1001")
		if res, err := callee.Register(ctx, testua.Registration{Password: "demo1001", Expires: 300}); err != nil || res.StatusCode != 200 {
			t.Fatalf("REGISTER 1001: %v, %v", res, err)
		}
		caller := virtualUA(t, h, "1000")
		tx, err := caller.Start(caller.NewInvite("1001", nil))
		if err != nil {
			t.Fatal(err)
		}
		inc, err := callee.AwaitIncoming(ctx, testua.Method(sip.INVITE))
		if err != nil {
			t.Fatal(err)
		}
		if len(inc.Request().Body()) != 0 {
			t.Fatalf("the callee's INVITE carries an offer %q, want a late offer", inc.Request().Body())
		}
		ok, err := inc.Answer() // no offer came: the 200 carries ours
		if err != nil {
			t.Fatal(err)
		}
		if err := inc.Respond(ok); err != nil {
			t.Fatal(err)
		}
		res, err := tx.Final(ctx)
		if err != nil || res.StatusCode != 200 || len(res.Body()) == 0 {
			t.Fatalf("INVITE answered %v, %v; want 200 with the callee's offer", res, err)
		}
		answer, err := caller.Answer(res.Body())
		if err != nil {
			t.Fatal(err)
		}
		btx, err := caller.Start(tx.Dialog().NewRequest(sip.BYE))
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the PBX has the BYE, not yet the ACK
		if _, err := tx.Ack(answer); err != nil {
			t.Fatal(err)
		}
		if r, err := btx.Final(ctx); err != nil || r.StatusCode != 200 {
			t.Fatalf("BYE answered %v, %v", r, err)
		}
		if _, err := callee.AwaitIncoming(ctx, testua.Method(sip.BYE)); err != nil {
			t.Fatalf("the callee got no BYE: %v", err)
		}
		var order []string
		for _, r := range callee.Received(testua.Or(testua.Method(sip.ACK), testua.Method(sip.BYE))) {
			order = append(order, string(r.Request().Method))
		}
		if !slices.Equal(order, []string{"ACK", "BYE"}) {
			t.Fatalf("the callee got %v, want the ACK then the BYE", order)
		}
		if acks := inc.Acks(); len(acks) != 1 || string(acks[0].Request().Body()) != string(answer) {
			t.Fatalf("the callee's ACKs %v, want one carrying the caller's answer", acks)
		}
		if recs := cdrsOf(t, h); len(recs) != 1 || recs[0].Disposition != pbx.Answered || recs[0].Reason != "caller hung up" {
			t.Errorf("CDRs %+v, want one ANSWERED, caller hung up", recs)
		}
	})
}

// proxyChallenges parses every Proxy-Authenticate of a 407.
func proxyChallenges(t *testing.T, res *sip.Response) []*digest.Challenge {
	t.Helper()
	if res.StatusCode != 407 {
		t.Fatalf("got %d %s, want 407", res.StatusCode, res.Reason)
	}
	var out []*digest.Challenge
	for _, h := range res.GetHeaders("Proxy-Authenticate") {
		c, err := digest.ParseChallenge(h.Value())
		if err != nil {
			t.Fatalf("challenge %q: %v", h.Value(), err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		t.Fatal("407 without Proxy-Authenticate")
	}
	return out
}

// TestVirtualStaleNonceOnInvite: an INVITE with the right password but a
// nonce older than auth.nonce_ttl (5 min) gets a fresh 407 with stale=true
// (RFC 2617 §3.2.1; the phone may retry without asking its user), and the
// same password then places the call.
func TestVirtualStaleNonceOnInvite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		h := startVirtual(t, nil)
		h.Phone("1001")
		u := virtualUA(t, h, "1000")
		inv := u.NewInvite("1001", u.Offer())
		first, err := u.Do(ctx, inv)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range proxyChallenges(t, first) {
			if c.Stale {
				t.Fatalf("the first challenge says stale: %+v", c)
			}
		}
		late, err := testua.Authorize(inv, first, "1000", "demo1000")
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(6 * time.Minute) // the nonce is past its TTL
		second, err := u.Do(ctx, late)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range proxyChallenges(t, second) {
			if !c.Stale {
				t.Errorf("challenge to a stale nonce without stale=true: %s", strings.TrimSpace(c.String()))
			}
		}
		retry, err := testua.Authorize(late, second, "1000", "demo1000")
		if err != nil {
			t.Fatal(err)
		}
		tx, err := u.Start(retry)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := tx.Final(ctx); err != nil || res.StatusCode != 200 {
			t.Fatalf("INVITE with the fresh nonce answered %v, %v", res, err)
		}
		if _, err := tx.Ack(nil); err != nil {
			t.Fatal(err)
		}
		if res, err := tx.Dialog().Bye(ctx); err != nil || res.StatusCode != 200 {
			t.Fatalf("BYE answered %v, %v", res, err)
		}
	})
}
