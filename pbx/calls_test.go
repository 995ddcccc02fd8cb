package pbx_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/leakcheck"
	"pbxlab/internal/testua"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// TestCallsOverEveryTransport places an audio-verified call over UDP and
// TCP, on IPv4 and IPv6.
func TestCallsOverEveryTransport(t *testing.T) {
	for _, tc := range []struct {
		name, transport string
		v6              bool
	}{
		{"udp4", "udp", false}, {"tcp4", "tcp", false}, {"udp6", "udp", true}, {"tcp6", "tcp", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			leakcheck.Check(t)
			in := startPBX(t, func(c *config.Config) {
				if tc.v6 {
					c.SIP.Listen = []string{"udp:[::1]:0", "tcp:[::1]:0"}
				}
			}, pbxtest.Options{KeepListen: tc.v6})
			target := in.UDP
			if tc.transport == "tcp" {
				target = in.TCP
			}
			lc := phone.Config{Transport: tc.transport}
			if tc.v6 {
				lc.LocalIP = loopback6
			}
			ps := registered(ctx, t, target.String(), lc, "1000", "1001")
			c, callee := talk(ctx, t, ps["1000"], ps["1001"])
			if err := callee.Hangup(ctx); err != nil { // BYE from the callee this time
				t.Fatal(err)
			}
			if end, err := c.Wait(ctx); err != nil || end.Reason != phone.ReasonBye || end.By != phone.Remote {
				t.Fatalf("caller end = %+v, %v", end, err)
			}
			recs := waitCDRs(ctx, t, in, func(r []pbx.CDR) bool { return len(r) == 1 && r[0].Disposition == pbx.Answered })
			if recs[0].Reason != "callee hung up" {
				t.Errorf("CDR reason %q", recs[0].Reason)
			}
		})
	}
}

// TestUnacknowledged2xxIsRetransmittedThenBYEd: the PBX retransmits its
// 200 to a caller that never ACKs, from T1 doubling to T2, and after 64*T1
// ends both legs with BYE (RFC 3261 §13.3.1.4).
func TestUnacknowledged2xxIsRetransmittedThenBYEd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const t1 = 50 * time.Millisecond
	in := startPBX(t, func(c *config.Config) {
		c.SIP.T1, c.SIP.T2 = t1, 400*time.Millisecond
		c.TrustedPeers = []config.TrustedPeer{{Name: "raw", Address: "127.0.0.1"}}
	}, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1001")
	u := newUA(t, in.UDP, "1000")
	start := time.Now()
	tx, err := u.Start(u.NewInvite("1001", u.Offer()))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := tx.Final(ctx); err != nil || ok.StatusCode != 200 {
		t.Fatalf("INVITE answered %v, %v", ok, err)
	}
	bye, err := u.AwaitIncoming(ctx, testua.Method(sip.BYE)) // never ACKed: the PBX gives up
	if err != nil {
		t.Fatalf("no BYE: %v", err)
	}
	oks := u.Received(testua.And(testua.Status(200), testua.Of(tx.Request())))
	// 64*T1 = 3.2 s with retransmissions at 50, 100, 200, 400, 400, ... ms
	if len(oks) < 5 {
		t.Errorf("200 OK sent %d times before BYE, want the original plus retransmissions", len(oks))
	}
	for _, r := range oks[1:] {
		if !bytes.Equal(r.Raw, oks[0].Raw) {
			t.Errorf("retransmitted 200 differs from the first:\n%s\n%s", oks[0].Raw, r.Raw)
		}
	}
	if elapsed := bye.Record().At.Sub(start); elapsed < 64*t1 {
		t.Errorf("BYE after %s, before 64*T1", elapsed)
	}
	if tag, _ := bye.Request().From().Params.Get("tag"); tag != tx.Dialog().RemoteTag() {
		t.Errorf("BYE From tag %q, want the 200's To tag %q", tag, tx.Dialog().RemoteTag())
	}
	if end, err := ps["1001"].nextIncoming(ctx, t).Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
		t.Errorf("callee leg end = %+v, %v; want BYE from the PBX", end, err)
	}
	waitCDRs(ctx, t, in, func(r []pbx.CDR) bool { return len(r) == 1 && r[0].Reason == "no ACK" })
}

// TestShutdownRefusesNewCallsAndByesTheRest: on SIGTERM (Run's context
// ends) new INVITEs get 503, calls still up after the grace period get BYE
// on both legs and their CDRs are on disk when Run returns.
func TestShutdownRefusesNewCallsAndByesTheRest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	cfg := config.Demo()
	cfg.Call.ShutdownGrace = time.Second
	cfg.TrustedPeers = []config.TrustedPeer{{Name: "raw", Address: "127.0.0.1"}}
	in, err := pbxtest.Start(cfg, pbxtest.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1003")
	c, callee := talk(ctx, t, ps["1000"], ps["1001"])
	closed := make(chan error, 1)
	go func() { closed <- in.Close() }()
	time.Sleep(200 * time.Millisecond) // Run has seen its context end
	u := newUA(t, in.UDP, "1000")
	wctx, wcancel := context.WithTimeout(ctx, 2*time.Second)
	defer wcancel()
	res, err := u.Do(wctx, u.NewInvite("1003", u.Offer()))
	if err != nil {
		t.Fatalf("no answer to an INVITE during shutdown: %v", err)
	}
	if res.StatusCode != 503 {
		t.Fatalf("INVITE during shutdown got %d, want 503", res.StatusCode)
	}
	for _, k := range []*phone.Call{c, callee} {
		if end, err := k.Wait(ctx); err != nil || end.Reason != phone.ReasonBye || end.By != phone.Remote {
			t.Errorf("leg end = %+v, %v; want BYE from the PBX", end, err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	var out strings.Builder
	if err := pbx.WriteCDRs(ctx, filepath.Join(dir, "pbx.db"), pbx.CDRFilter{}, "csv", &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ANSWERED,200,shutdown") {
		t.Errorf("CDRs after shutdown:\n%s", out.String())
	}
}
