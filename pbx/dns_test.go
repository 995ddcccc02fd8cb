package pbx_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testdns"
	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
)

// startDNSPBX runs the demo PBX asking srv for host names, trusting
// 127.0.0.1 (the test UAs), with subscriber 8000 at the static contact
// sip:8000@host.
func startDNSPBX(t *testing.T, srv *testdns.Server, host string) *pbxtest.Instance {
	t.Helper()
	return startPBX(t, func(c *config.Config) {
		c.TrustedPeers = []config.TrustedPeer{{Name: "raw", Address: "127.0.0.1"}}
		c.DNS.Servers = []string{srv.Addr}
		c.ExplicitSubscribers = append(c.ExplicitSubscribers, config.Subscriber{Number: "8000", Contacts: []string{"sip:8000@" + host}})
		c.Peers = []config.Peer{{Name: "carrier", Host: host}}
	}, pbxtest.Options{})
}

// TestDNSPeerFailoverOn503: a carrier named by SRV has two servers (RFC
// 3263): the INVITE goes to the one of priority 10 first, which answers
// 503, then to the one of priority 20, which answers; the caller gets its
// 200 and never the 503. Both INVITEs keep the carrier's name in the
// Request-URI.
func TestDNSPeerFailoverOn503(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := testdns.Start(t)
	in := startDNSPBX(t, srv, "carrier.test")
	first := newUA(t, in.UDP, "carrier", testua.WithAuto(testua.DefaultAuto&^testua.AutoRinging))
	second := newUA(t, in.UDP, "carrier")
	srv.Add(t,
		fmt.Sprintf("_sip._udp.carrier.test. 60 IN SRV 20 0 %d b.carrier.test.", second.Local().Port()),
		fmt.Sprintf("_sip._udp.carrier.test. 60 IN SRV 10 0 %d a.carrier.test.", first.Local().Port()),
		"a.carrier.test. 60 IN A 127.0.0.1",
		"b.carrier.test. 60 IN A 127.0.0.1",
	)

	u := newUA(t, in.UDP, "1000")
	tx, err := u.Start(u.NewInvite("8000", u.Offer()))
	if err != nil {
		t.Fatal(err)
	}
	inA, err := first.AwaitIncoming(ctx, testua.Method(sip.INVITE))
	if err != nil {
		t.Fatalf("the priority-10 server got no INVITE: %v", err)
	}
	if err := inA.Reply(503, "Service Unavailable"); err != nil {
		t.Fatal(err)
	}
	inB, err := second.AwaitIncoming(ctx, testua.Method(sip.INVITE))
	if err != nil {
		t.Fatalf("no failover to the priority-20 server after a 503: %v", err)
	}
	for _, inc := range []*testua.Incoming{inA, inB} {
		if h := inc.Request().Recipient.Host; h != "carrier.test" {
			t.Errorf("Request-URI host %q, want the carrier's name", h)
		}
	}
	answerUntilAck(ctx, t, inB, nil)
	res, err := tx.Final(ctx)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("call answered %v, %v; want the second server's 200", res, err)
	}
	if _, err := tx.Ack(nil); err != nil {
		t.Fatal(err)
	}
	for _, r := range tx.Responses() {
		if r.Response().StatusCode == 503 {
			t.Errorf("the caller saw the first server's 503")
		}
	}
	if r, err := tx.Dialog().Bye(ctx); err != nil || r.StatusCode != 200 {
		t.Fatalf("BYE answered %v, %v", r, err)
	}
	if _, err := second.AwaitIncoming(ctx, testua.Method(sip.BYE)); err != nil {
		t.Fatalf("the answering server got no BYE: %v", err)
	}
	if n := len(first.Incoming(testua.Method(sip.INVITE))); n != 1 {
		t.Errorf("the failed server got %d INVITEs, want 1", n)
	}
}

// TestDNSBadAnswers: a static contact whose host DNS cannot locate (no
// such name, a CNAME loop, SRV targets without address, a NAPTR loop, a
// SERVFAIL) fails the call at once with 503 (the reason says DNS); nothing
// hangs.
func TestDNSBadAnswers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name, host string
		records    []string
	}{
		{"NXDOMAIN", "nosuch.test", nil},
		{"CNAME loop", "loop.test", []string{"loop.test. 60 IN CNAME loop2.test.", "loop2.test. 60 IN CNAME loop.test."}},
		{"NAPTR replacement loop", "nloop.test", []string{`nloop.test. 60 IN NAPTR 10 10 "" "" "" nloop.test.`}},
		{"SRV target without address", "nowhere.test", []string{"_sip._udp.nowhere.test. 60 IN SRV 10 0 5060 missing.test."}},
		{"SERVFAIL", "broken.test", []string{"broken.test. 60 IN A 127.0.0.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := testdns.Start(t, tc.records...)
			srv.Fail("broken.test")
			in := startDNSPBX(t, srv, tc.host)
			u := newUA(t, in.UDP, "1000")
			res, err := u.Do(ctx, u.NewInvite("8000", u.Offer()))
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != 503 || !strings.Contains(res.Reason, "DNS") {
				t.Fatalf("call to a contact at %s: %d %s, want 503 naming DNS", tc.host, res.StatusCode, res.Reason)
			}
		})
	}
}

// TestDNSNoFailoverOnBusy: a final answer other than 503 (here 486) is the
// callee's, not a server failure: it reaches the caller and the next
// server is not tried.
func TestDNSNoFailoverOnBusy(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := testdns.Start(t)
	in := startDNSPBX(t, srv, "carrier.test")
	first := newUA(t, in.UDP, "carrier", testua.WithAuto(testua.DefaultAuto&^testua.AutoRinging))
	second := newUA(t, in.UDP, "carrier")
	srv.Add(t,
		fmt.Sprintf("_sip._udp.carrier.test. 60 IN SRV 10 0 %d a.carrier.test.", first.Local().Port()),
		fmt.Sprintf("_sip._udp.carrier.test. 60 IN SRV 20 0 %d b.carrier.test.", second.Local().Port()),
		"a.carrier.test. 60 IN A 127.0.0.1",
		"b.carrier.test. 60 IN A 127.0.0.1",
	)
	u := newUA(t, in.UDP, "1000")
	tx, err := u.Start(u.NewInvite("8000", u.Offer()))
	if err != nil {
		t.Fatal(err)
	}
	inA, err := first.AwaitIncoming(ctx, testua.Method(sip.INVITE))
	if err != nil {
		t.Fatal(err)
	}
	if err := inA.Reply(486, "Busy Here"); err != nil {
		t.Fatal(err)
	}
	if res, err := tx.Final(ctx); err != nil || res.StatusCode != 486 {
		t.Fatalf("caller got %v, %v; want the first server's 486", res, err)
	}
	// a failover would have sent the INVITE on before the caller's final
	if n := len(second.Incoming(testua.Method(sip.INVITE))); n != 0 {
		t.Fatalf("the second server got %d INVITEs after the first's 486, want none", n)
	}
}

// TestDNSPeerIPv6: a carrier whose SRV target has only an AAAA record is
// called over IPv6 (the PBX listens on both families), from an IPv4
// caller.
func TestDNSPeerIPv6(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := testdns.Start(t)
	in := startPBX(t, func(c *config.Config) {
		c.SIP.Listen = []string{"udp:127.0.0.1:0", "udp:[::1]:0"}
		c.TrustedPeers = []config.TrustedPeer{{Name: "raw", Address: "127.0.0.1"}}
		c.DNS.Servers = []string{srv.Addr}
		c.ExplicitSubscribers = append(c.ExplicitSubscribers, config.Subscriber{Number: "8000", Contacts: []string{"sip:8000@carrier.test"}})
	}, pbxtest.Options{KeepListen: true})
	var at6 netip.AddrPort
	for _, a := range in.Addrs() {
		if a.AddrPort.Addr().Is6() {
			at6 = a.AddrPort
		}
	}
	carrier := newUA(t, at6, "carrier")
	if !carrier.Local().Addr().Is6() {
		t.Fatalf("carrier UA on %s, want IPv6", carrier.Local())
	}
	srv.Add(t,
		fmt.Sprintf("_sip._udp.carrier.test. 60 IN SRV 10 0 %d v6.carrier.test.", carrier.Local().Port()),
		"v6.carrier.test. 60 IN AAAA ::1",
	)
	u := newUA(t, in.UDP, "1000")
	start := time.Now()
	tx, err := u.Start(u.NewInvite("8000", u.Offer()))
	if err != nil {
		t.Fatal(err)
	}
	inc, err := carrier.AwaitIncoming(ctx, testua.Method(sip.INVITE))
	if err != nil {
		// what the caller got instead tells a failed lookup (503/480) from
		// a lost INVITE (.ci/run on c7968f8 failed here once in ~50 runs)
		var got []string
		for _, r := range tx.Responses() {
			got = append(got, fmt.Sprintf("%s after %s", strings.SplitN(string(r.Raw), "\r\n", 2)[0], r.At.Sub(start)))
		}
		t.Fatalf("the IPv6 carrier got no INVITE: %v; the caller got %v", err, got)
	}
	if src := inc.Source(); !src.Addr().Is6() {
		t.Errorf("INVITE came from %s, want the PBX's IPv6 address", src)
	}
	if err := inc.Reply(486, "Busy Here"); err != nil {
		t.Fatal(err)
	}
	if res, err := tx.Final(ctx); err != nil || res.StatusCode != 486 {
		t.Fatalf("caller got %v, %v; want the carrier's 486", res, err)
	}
}
