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

// TestVirtualPeerQualify: a peer qualified every 10 s answers the PBX's
// OPTIONS with 407; the PBX answers the challenge with the peer's
// credentials and the peer's 200 keeps it reachable: a call to a number
// whose static contact is the peer reaches it. Once the peer stops
// answering, two unanswered OPTIONS make it unreachable and the same call
// fails at once with 503, without an INVITE to the peer.
func TestVirtualPeerQualify(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		const peerAddr = "10.0.0.200:5070"
		cfg := trustingPhones()
		cfg.Peers = []config.Peer{{Name: "carrier", Host: "10.0.0.200", Port: 5070, Qualify: 10 * time.Second, Username: "pbx", Password: "s3cret"}}
		cfg.ExplicitSubscribers = append(cfg.ExplicitSubscribers, config.Subscriber{Number: "8000", Contacts: []string{"sip:8000@" + peerAddr}})
		h := vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait))
		peer, err := testua.New(testua.Config{Transport: "udp", PBX: h.Addr, User: "carrier"},
			testua.WithPacketConn(h.Listen(peerAddr)), testua.WithAuto(testua.DefaultAuto&^testua.AutoOptions))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { synctest.Wait(); _ = peer.Close() })

		first, err := peer.AwaitIncoming(ctx, testua.Method(sip.OPTIONS))
		if err != nil {
			t.Fatal(err)
		}
		chal := first.NewResponse(407, "Proxy Authentication Required")
		chal.AppendHeader(sip.NewHeader("Proxy-Authenticate", `Digest realm="carrier", nonce="n0nce", algorithm=MD5`))
		if err := first.Respond(chal); err != nil {
			t.Fatal(err)
		}
		authed, err := peer.AwaitIncoming(ctx, testua.And(testua.Method(sip.OPTIONS), testua.HasHeader("Proxy-Authorization", `username="pbx"`)))
		if err != nil {
			t.Fatalf("the challenge was not answered with the peer's credentials: %v", err)
		}
		if err := authed.Reply(200, "OK"); err != nil {
			t.Fatal(err)
		}

		u := virtualUA(t, h, "1000")
		call := func() (*sip.Response, int) {
			before := len(peer.Incoming(testua.Method(sip.INVITE)))
			res, err := u.Do(ctx, u.NewInvite("8000", u.Offer()))
			if err != nil {
				t.Fatal(err)
			}
			return res, len(peer.Incoming(testua.Method(sip.INVITE))) - before
		}
		go func() {
			in, err := peer.AwaitIncoming(ctx, testua.Method(sip.INVITE))
			if err == nil {
				_ = in.Reply(486, "Busy Here")
			}
		}()
		if res, n := call(); res.StatusCode != 486 || n != 1 {
			t.Fatalf("call while the peer is reachable: %d with %d INVITE at the peer, want the peer's 486", res.StatusCode, n)
		}

		// the peer goes silent: OPTIONS are no longer answered
		time.Sleep(90 * time.Second)
		synctest.Wait()
		start := time.Now()
		res, n := call()
		if res.StatusCode != 503 || n != 0 {
			t.Fatalf("call to an unreachable peer: %d with %d INVITE at the peer, want 503 and none", res.StatusCode, n)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("503 after %s: want it at once", d)
		}
		if !strings.Contains(res.Reason, "Unavailable") {
			t.Errorf("reason %q", res.Reason)
		}
	})
}
