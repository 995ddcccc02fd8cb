package pbx_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"pbxlab/internal/testua"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
)

// TestVirtualTrunkDownAndUp: a qualified trunk that stops answering its
// OPTIONS is marked down (pbxlab_peer_reachable 0) after `unreachable`
// misses and the route's calls skip it for the next peer; once it answers
// an OPTIONS again it is up (1) and the route's first choice again.
func TestVirtualTrunkDownAndUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		h := startVirtual(t, routeConfig(
			config.Peer{Name: "first", Host: "10.0.0.201", Qualify: 10 * time.Second, Unreachable: 2},
			config.Peer{Name: "second", Host: "10.0.0.202"}))
		first := virtualCarrier(t, h, "10.0.0.201:5060")
		second := virtualCarrier(t, h, "10.0.0.202:5060")
		u := virtualUA(t, h, "1000")
		reachable := func() float64 {
			v, ok := pbx.GaugeValue(h.PBX, "pbxlab_peer_reachable", "first")
			if !ok {
				t.Fatal("no pbxlab_peer_reachable{peer=first}")
			}
			return v
		}
		// call places a call and says which carrier got it (refusing it)
		call := func() string {
			t.Helper()
			nf, ns := invites(first), invites(second)
			tx, err := u.Start(u.NewInvite("90123456789", u.Offer()))
			if err != nil {
				t.Fatal(err)
			}
			// the INVITE reaches a carrier before virtual time moves on
			// (waiting on the caller's UA would sleep until its next event,
			// past the route's progress timeout)
			synctest.Wait()
			if invites(first) == nf && invites(second) == ns {
				t.Fatal("no carrier got the call")
			}
			got, c := "first", first
			if invites(second) > ns {
				got, c = "second", second
			}
			if err := nthInvite(ctx, t, c, len(c.Incoming(testua.Method("INVITE")))).Reply(486, "Busy Here"); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Final(ctx); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			return got
		}

		time.Sleep(time.Second)
		synctest.Wait()
		if v := reachable(); v != 1 {
			t.Fatalf("answering trunk: reachable %v", v)
		}
		if got := call(); got != "first" {
			t.Fatalf("trunk up: the call went to %s)", got)
		}

		first.SetAuto(0) // silent from now on
		time.Sleep(60 * time.Second)
		synctest.Wait()
		if v := reachable(); v != 0 {
			t.Fatalf("silent trunk: reachable %v, want 0", v)
		}
		if got := call(); got != "second" {
			t.Fatalf("trunk down: the call went to %s", got)
		}

		first.SetAuto(testua.DefaultAuto &^ testua.AutoRinging) // back
		time.Sleep(11 * time.Second)
		synctest.Wait()
		if v := reachable(); v != 1 {
			t.Fatalf("trunk back: reachable %v, want 1", v)
		}
		if got := call(); got != "first" {
			t.Fatalf("trunk back up: the call went to %s", got)
		}
	})
}
