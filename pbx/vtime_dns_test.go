package pbx_test

import (
	"context"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/resolve"
	"pbxlab/pbx/pbxtest/vnet"
)

// fakeResolver answers from a table (virtual-time tests have no DNS
// server: the resolver itself is tested against one in pbx/internal/resolve);
// an IP address is itself.
type fakeResolver map[string][]resolve.Target

func (f fakeResolver) Lookup(_ context.Context, host, transport string) ([]resolve.Target, error) {
	if ts, ok := f[host]; ok {
		return ts, nil
	}
	name, port, err := resolve.SplitHost(host)
	if err != nil {
		return nil, err
	}
	ip, err := netip.ParseAddr(name)
	if err != nil {
		return nil, resolve.ErrNotFound
	}
	if port == 0 {
		port = resolve.DefaultPort
	}
	if transport == "" {
		transport = resolve.UDP
	}
	return []resolve.Target{{Transport: transport, Addr: netip.AddrPortFrom(ip, uint16(port))}}, nil
}

// TestVirtualDNSFailoverOnTimeout: the carrier's first server (by SRV)
// never answers; when the INVITE's transaction times out (Timer B, 64×T1 =
// 32 s) the PBX sends it to the second server (RFC 3263 §4.3), whose answer
// reaches the caller, who heard nothing of the timeout.
func TestVirtualDNSFailoverOnTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		const deadAddr, liveAddr = "10.0.0.201:5060", "10.0.0.202:5070"
		cfg := trustingPhones()
		cfg.ExplicitSubscribers = append(cfg.ExplicitSubscribers, config.Subscriber{Number: "8000", Contacts: []string{"sip:8000@carrier.test"}})
		dns := fakeResolver{"carrier.test": {
			{Transport: "udp", Addr: netip.MustParseAddrPort(deadAddr), Name: "a.carrier.test"},
			{Transport: "udp", Addr: netip.MustParseAddrPort(liveAddr), Name: "b.carrier.test"},
		}}
		h := vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait), vnet.WithPBXOptions(pbx.WithResolver(dns)))
		dead, err := testua.New(testua.Config{Transport: "udp", PBX: h.Addr, User: "carrier"},
			testua.WithPacketConn(h.Listen(deadAddr)), testua.WithAuto(0))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { synctest.Wait(); _ = dead.Close() })
		live, err := testua.New(testua.Config{Transport: "udp", PBX: h.Addr, User: "carrier"}, testua.WithPacketConn(h.Listen(liveAddr)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { synctest.Wait(); _ = live.Close() })

		u := virtualUA(t, h, "1000")
		start := time.Now()
		tx, err := u.Start(u.NewInvite("8000", u.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dead.AwaitIncoming(ctx, testua.Method(sip.INVITE)); err != nil {
			t.Fatalf("the first server got no INVITE: %v", err)
		}
		in, err := live.AwaitIncoming(ctx, testua.Method(sip.INVITE))
		if err != nil {
			t.Fatalf("no failover to the second server: %v", err)
		}
		if d := time.Since(start); d < 32*time.Second || d > 33*time.Second {
			t.Errorf("second server tried after %s, want after Timer B (32 s)", d)
		}
		if err := in.Reply(486, "Busy Here"); err != nil {
			t.Fatal(err)
		}
		res, err := tx.Final(ctx)
		if err != nil || res.StatusCode != 486 {
			t.Fatalf("caller got %v, %v; want the second server's 486", res, err)
		}
		for _, r := range tx.Responses() {
			if c := r.Response().StatusCode; c == 408 || c == 503 {
				t.Errorf("the caller saw %d", c)
			}
		}
		if n := len(dead.Incoming(testua.Method(sip.INVITE))); n != 1 {
			t.Errorf("the dead server got %d INVITE transactions, want 1", n)
		}
	})
}

// TestVirtualDNSQualifyFailover: a qualified peer named by SRV whose first
// server is silent stays reachable while its second answers the OPTIONS
// (RFC 3263 §4.3 for the qualify too): a call to it is not refused as to an
// unreachable peer (503 at once) but reaches the second server.
func TestVirtualDNSQualifyFailover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		const deadAddr, liveAddr = "10.0.0.201:5060", "10.0.0.202:5070"
		cfg := trustingPhones()
		cfg.Peers = []config.Peer{{Name: "carrier", Host: "carrier.test", Qualify: 10 * time.Second, Unreachable: 1}}
		cfg.ExplicitSubscribers = append(cfg.ExplicitSubscribers, config.Subscriber{Number: "8000", Contacts: []string{"sip:8000@carrier.test"}})
		dns := fakeResolver{"carrier.test": {
			{Transport: "udp", Addr: netip.MustParseAddrPort(deadAddr)},
			{Transport: "udp", Addr: netip.MustParseAddrPort(liveAddr)},
		}}
		h := vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait), vnet.WithPBXOptions(pbx.WithResolver(dns)))
		dead, err := testua.New(testua.Config{Transport: "udp", PBX: h.Addr, User: "carrier"},
			testua.WithPacketConn(h.Listen(deadAddr)), testua.WithAuto(0))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { synctest.Wait(); _ = dead.Close() })
		live, err := testua.New(testua.Config{Transport: "udp", PBX: h.Addr, User: "carrier"}, testua.WithPacketConn(h.Listen(liveAddr)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { synctest.Wait(); _ = live.Close() })

		if _, err := dead.AwaitIncoming(ctx, testua.Method(sip.OPTIONS)); err != nil {
			t.Fatalf("the first server got no OPTIONS: %v", err)
		}
		if _, err := live.AwaitIncoming(ctx, testua.Method(sip.OPTIONS)); err != nil {
			t.Fatalf("no OPTIONS to the second server after the first stayed silent: %v", err)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := len(live.Incoming(testua.Method(sip.OPTIONS))); n < 3 {
			t.Fatalf("the second server got %d OPTIONS in a minute, want one per qualify", n)
		}
		u := virtualUA(t, h, "1000")
		tx, err := u.Start(u.NewInvite("8000", u.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		in, err := live.AwaitIncoming(ctx, testua.Method(sip.INVITE))
		if err != nil {
			res, _ := tx.Final(ctx)
			t.Fatalf("the call never reached the answering server (caller got %v): the peer counted as unreachable?", res)
		}
		if err := in.Reply(486, "Busy Here"); err != nil {
			t.Fatal(err)
		}
		if res, err := tx.Final(ctx); err != nil || res.StatusCode != 486 {
			t.Fatalf("caller got %v, %v; want 486", res, err)
		}
	})
}
