package pbx_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
)

// TestVirtualRoutePeerLimits: the first peer takes one call at a time
// (max_calls: 1): while its call is up, the next call goes to the second
// peer; once it ended, the first takes calls again. A peer allowed one
// call per second (max_calls_per_second: 1) gets one of two calls placed
// in the same second, the other goes to the next peer; a second later it
// takes one again.
func TestVirtualRoutePeerLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		h := startVirtual(t, routeConfig(
			config.Peer{Name: "first", Host: "10.0.0.201", MaxCalls: 1},
			config.Peer{Name: "second", Host: "10.0.0.202"}))
		first := virtualCarrier(t, h, "10.0.0.201:5060")
		second := virtualCarrier(t, h, "10.0.0.202:5060")
		first.SetAuto(first.Auto() | testua.AutoAnswer)
		second.SetAuto(second.Auto() | testua.AutoAnswer)
		u := virtualUA(t, h, "1000")

		// place answers a call out and returns it, up
		place := func() *testua.ClientTx {
			t.Helper()
			tx, err := u.Start(u.NewInvite("90123456789", u.Offer()))
			if err != nil {
				t.Fatal(err)
			}
			res, err := tx.Final(ctx)
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("call: %v %v, want 200", res, err)
			}
			if _, err := tx.Ack(nil); err != nil {
				t.Fatal(err)
			}
			synctest.Wait() // the carrier's record of the INVITE it answered
			return tx
		}
		hangup := func(tx *testua.ClientTx) {
			t.Helper()
			if res, err := tx.Dialog().Bye(ctx); err != nil || res.StatusCode != 200 {
				t.Fatalf("BYE: %v %v", res, err)
			}
			synctest.Wait()
		}
		one := place()
		two := place()
		if invites(first) != 1 || invites(second) != 1 {
			t.Fatalf("two calls with max_calls 1 at the first peer: %d and %d INVITEs, want 1 and 1", invites(first), invites(second))
		}
		hangup(one)
		hangup(two)
		three := place()
		if invites(first) != 2 {
			t.Errorf("after its call ended the first peer got no call (%d INVITEs)", invites(first))
		}
		hangup(three)

		// calls per second
		cfg := routeConfig(
			config.Peer{Name: "first", Host: "10.0.0.211", MaxCallsPerSecond: 1},
			config.Peer{Name: "second", Host: "10.0.0.212"})
		h2 := startVirtual(t, cfg)
		f2 := virtualCarrier(t, h2, "10.0.0.211:5060")
		s2 := virtualCarrier(t, h2, "10.0.0.212:5060")
		for _, c := range []*testua.UA{f2, s2} {
			c.SetAuto(c.Auto() &^ testua.AutoRinging)
		}
		u2 := virtualUA(t, h2, "1000")
		refuse := func(c *testua.UA) { // every INVITE still without a final response
			for _, in := range c.Incoming(testua.Method(sip.INVITE)) {
				if len(in.Responses()) < 2 { // only the 100 so far
					_ = in.Reply(603, "Decline") // no prompt: the clock stays
				}
			}
		}
		call := func() int {
			tx, err := u2.Start(u2.NewInvite("90123456789", u2.Offer()))
			if err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			refuse(f2)
			refuse(s2)
			res, err := tx.Final(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return res.StatusCode
		}
		call()
		call() // same instant: the first peer is at its rate
		if invites(f2) != 1 || invites(s2) != 1 {
			t.Errorf("two calls in one second with max_calls_per_second 1: %d and %d INVITEs, want 1 and 1", invites(f2), invites(s2))
		}
		time.Sleep(time.Second)
		call()
		if invites(f2) != 2 {
			t.Errorf("a second later the first peer got no call (%d INVITEs)", invites(f2))
		}
	})
}
