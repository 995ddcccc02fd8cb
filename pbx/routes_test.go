package pbx_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest/vnet"
)

// routeConfig is trustingPhones with the given peers in route "out":
// numbers 9 + 4..20 digits go out through it, the 9 stripped after
// analysis (a rule of the terminating device "carrier").
func routeConfig(peers ...config.Peer) *config.Config {
	cfg := trustingPhones()
	cfg.Peers = peers
	r := config.Route{Name: "out"}
	for _, p := range peers {
		r.Peers = append(r.Peers, p.Name)
	}
	cfg.Routes = []config.Route{r}
	cfg.Numbering.Devices = []config.NumberingDevice{{Name: "carrier", Kind: "peer"}}
	cfg.Numbering.Entries = []config.NumberingEntry{{Prefix: "9", Min: 5, Max: 21, Kind: "route", Target: "out", Device: "carrier"}}
	cfg.Numbering.Bindings = []config.NumberingBinding{{Scope: "terminating-device", Key: "carrier",
		Rules: []config.NumberingRule{{Number: "called", Prefix: "9", Strip: 1}}}}
	return cfg
}

// virtualCarrier is a test UA standing for a carrier at addr (10.0.0.x:port)
// on h's network; it answers 100 and nothing else by itself.
func virtualCarrier(t *testing.T, h *vnet.Harness, addr string) *testua.UA {
	t.Helper()
	return virtualCarrierAuto(t, h, addr, testua.DefaultAuto&^testua.AutoRinging)
}

// virtualCarrierAuto is virtualCarrier answering auto by itself from its
// first packet on (setting it after New races the PBX's first request).
func virtualCarrierAuto(t *testing.T, h *vnet.Harness, addr string, auto testua.Auto) *testua.UA {
	t.Helper()
	c, err := testua.New(testua.Config{Transport: "udp", PBX: h.Addr, User: "carrier"},
		testua.WithPacketConn(h.Listen(addr)), testua.WithAuto(auto))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { synctest.Wait(); _ = c.Close() })
	return c
}

// nthInvite waits for the n-th INVITE (from 1) the carrier receives.
func nthInvite(ctx context.Context, t *testing.T, c *testua.UA, n int) *testua.Incoming {
	t.Helper()
	if err := c.Until(ctx, func() bool { return len(c.Incoming(testua.Method(sip.INVITE))) >= n }); err != nil {
		t.Fatalf("INVITE #%d at the carrier %s: %v", n, c.Local(), err)
	}
	return c.Incoming(testua.Method(sip.INVITE))[n-1]
}

func invites(c *testua.UA) int { return len(c.Incoming(testua.Method(sip.INVITE))) }

// TestVirtualRouteFailover: a call to 9+number goes to the route's first
// peer with the 9 stripped; its 503 with Retry-After: 60 moves the call to
// the second peer, which answers; the caller sees 200 and never the 503.
// For the next 60 s the first peer is skipped (the next call goes straight
// to the second); after that it is tried again.
func TestVirtualRouteFailover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		first, second, u := twoCarriers(t)

		call := func(wantFirst bool) {
			t.Helper()
			nf, ns := invites(first), invites(second)
			tx, err := u.Start(u.NewInvite("90123456789", u.Offer()))
			if err != nil {
				t.Fatal(err)
			}
			if wantFirst {
				in := nthInvite(ctx, t, first, nf+1)
				if got := in.Request().Recipient.User; got != "0123456789" {
					t.Errorf("first peer's Request-URI user %q, want the substituted 0123456789", got)
				}
				res := in.NewResponse(503, "Service Unavailable")
				res.AppendHeader(sip.NewHeader("Retry-After", "60"))
				if err := in.Respond(res); err != nil {
					t.Fatal(err)
				}
			}
			in := nthInvite(ctx, t, second, ns+1)
			if got := in.Request().Recipient.User; got != "0123456789" {
				t.Errorf("second peer's Request-URI user %q", got)
			}
			ok, err := in.Answer()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := in.RespondUntilAck(ctx, ok); err != nil {
				t.Fatal(err)
			}
			res, err := tx.Final(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != 200 {
				t.Fatalf("caller got %d %s, want 200 from the second peer", res.StatusCode, res.Reason)
			}
			for _, r := range tx.Responses() {
				if r.Response() != nil && r.Response().StatusCode == 503 {
					t.Errorf("the caller saw the carrier's 503")
				}
			}
			if _, err := tx.Ack(nil); err != nil {
				t.Fatal(err)
			}
			if res, err := tx.Dialog().Bye(ctx); err != nil || res.StatusCode != 200 {
				t.Fatalf("BYE: %v %v", res, err)
			}
			if got := invites(first) - nf; wantFirst != (got == 1) || got > 1 {
				t.Errorf("INVITEs at the first peer: %d (want it tried: %v)", got, wantFirst)
			}
		}
		call(true)
		time.Sleep(30 * time.Second)
		call(false) // Retry-After: the first peer rests
		time.Sleep(31 * time.Second)
		call(true) // and is back
	})
}

// TestVirtualRouteFailureNeverRelays503: every peer answers 503 (no
// Retry-After): the caller gets 500 (RFC 3261 §16.7 (6)), not 503. A
// peer that never answers (Timer B) fails over too, and when every peer is
// silent the caller gets 480.
func TestVirtualRouteFailureNeverRelays503(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		first, second, u := twoCarriers(t)

		tx, err := u.Start(u.NewInvite("90123456789", u.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []*testua.UA{first, second} {
			if err := nthInvite(ctx, t, c, 1).Reply(503, "Service Unavailable"); err != nil {
				t.Fatal(err)
			}
		}
		res, err := tx.Final(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 500 {
			t.Errorf("every peer 503: caller got %d %s, want 500", res.StatusCode, res.Reason)
		}

		// both silent: no 100, no answer (Timer B on each, one after the other)
		first.SetAuto(0)
		second.SetAuto(0)
		res, err = u.Do(ctx, u.NewInvite("90123456789", u.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 480 {
			t.Errorf("every peer silent: caller got %d %s, want 480", res.StatusCode, res.Reason)
		}
		if invites(first) != 2 || invites(second) != 2 {
			t.Errorf("INVITEs: first %d, second %d; want 2 each", invites(first), invites(second))
		}
	})
}

// TestVirtualRouteNoFailoverOnBusy: a 486 from the first peer is the
// callee's answer, not the carrier's failure: the second peer is not tried
// and the caller gets 486.
func TestVirtualRouteNoFailoverOnBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		first, second, u := twoCarriers(t)
		tx, err := u.Start(u.NewInvite("90123456789", u.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		if err := nthInvite(ctx, t, first, 1).Reply(486, "Busy Here"); err != nil {
			t.Fatal(err)
		}
		res, err := tx.Final(ctx)
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if res.StatusCode != 486 || invites(second) != 0 {
			t.Errorf("caller got %d, %d INVITEs at the second peer; want 486 and none", res.StatusCode, invites(second))
		}
	})
}

// TestVirtualRouteSkipsUnreachablePeer: a qualified peer that stopped
// answering its OPTIONS is not tried; with no peer left the call fails
// with 480 (not 503) without an INVITE.
func TestVirtualRouteSkipsUnreachablePeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		h := startVirtual(t, routeConfig(
			config.Peer{Name: "first", Host: "10.0.0.201", Qualify: 10 * time.Second},
			config.Peer{Name: "second", Host: "10.0.0.202"}))
		first := virtualCarrierAuto(t, h, "10.0.0.201:5060", 0) // silent: OPTIONS unanswered
		second := virtualCarrier(t, h, "10.0.0.202:5060")
		u := virtualUA(t, h, "1000")
		time.Sleep(90 * time.Second)
		synctest.Wait()

		tx, err := u.Start(u.NewInvite("90123456789", u.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		if err := nthInvite(ctx, t, second, 1).Reply(404, "Not Found"); err != nil {
			t.Fatal(err)
		}
		res, err := tx.Final(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 404 || invites(first) != 0 {
			t.Errorf("caller got %d, %d INVITEs at the unreachable peer; want the second's 404 and none", res.StatusCode, invites(first))
		}

		cfg := routeConfig(config.Peer{Name: "only", Host: "10.0.0.203", Qualify: 10 * time.Second})
		h2 := startVirtual(t, cfg)
		only := virtualCarrierAuto(t, h2, "10.0.0.203:5060", 0)
		u2 := virtualUA(t, h2, "1000")
		time.Sleep(90 * time.Second)
		synctest.Wait()
		tx2, err := u2.Start(u2.NewInvite("90123456789", u2.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		res, err = tx2.Final(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 480 || invites(only) != 0 {
			t.Errorf("no reachable peer: %d, %d INVITEs; want 480 and none", res.StatusCode, invites(only))
		}
		for _, p := range tx2.Provisional() {
			if p.StatusCode == 183 {
				t.Error("no reachable peer: a prompt (183) played; the 480's own prompt says 'not registered', congestion has none by default")
			}
		}
		if !strings.Contains(res.Reason, "Unavailable") {
			t.Errorf("reason %q", res.Reason)
		}
	})
}

// twoCarriers starts a virtual PBX whose route "out" has the peers first
// (10.0.0.201) and second (10.0.0.202), test UAs for both carriers, and
// subscriber 1000's UA.
func twoCarriers(t *testing.T) (first, second, u *testua.UA) {
	t.Helper()
	h := startVirtual(t, routeConfig(
		config.Peer{Name: "first", Host: "10.0.0.201"},
		config.Peer{Name: "second", Host: "10.0.0.202"}))
	return virtualCarrier(t, h, "10.0.0.201:5060"), virtualCarrier(t, h, "10.0.0.202:5060"), virtualUA(t, h, "1000")
}

// TestVirtualRouteFarEndAnnouncement: a carrier that announces its own
// refusal in early media (183 with SDP, then 404, as a far PBX's
// vacant-number prompt does) is not announced a second time: the caller
// gets the carrier's 183 relayed, then the 404, and no 183 of the PBX's
// own prompt in between.
func TestVirtualRouteFarEndAnnouncement(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		first, _, u := twoCarriers(t)
		tx, err := u.Start(u.NewInvite("90123456789", u.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		in := nthInvite(ctx, t, first, 1)
		sdp, err := first.Answer(in.Request().Body())
		if err != nil {
			t.Fatal(err)
		}
		early := in.NewResponse(183, "Session Progress")
		testua.SetBody(early, "application/sdp", sdp)
		if err := in.Respond(early); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second) // the far end's announcement
		if err := in.Reply(404, "Not Found"); err != nil {
			t.Fatal(err)
		}
		res, err := tx.Final(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 404 {
			t.Fatalf("caller got %d %s, want the carrier's 404", res.StatusCode, res.Reason)
		}
		var n183 int
		for _, r := range tx.Responses() {
			if r.Response() != nil && r.Response().StatusCode == 183 {
				n183++
			}
		}
		if n183 != 1 {
			t.Errorf("the caller got %d 183s, want 1 (the carrier's announcement only, no second prompt of the PBX's)", n183)
		}
	})
}
