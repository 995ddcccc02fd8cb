package sim

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	pbxconfig "pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/carrier"
	"pbxlab/sim/phone"
	"pbxlab/sim/scenario"
)

// TestTrunkOverTCPAgainstPBX: pbxlab's trunk to a simulated carrier over
// TCP (peers[].transport tcp): the PBX registers its trunk with the
// carrier (digest) over TCP; a phone's call out through the trunk reaches
// the carrier over TCP and is answered with the dialled number's audio,
// both legs hearing each other; the carrier's call to a DID goes over TCP
// to the contact the trunk registered and rings the DID's phone, two-way
// audio again.
func TestTrunkOverTCPAgainstPBX(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := carrier.New(carrier.Config{LocalIP: carrierIP, Transport: "tcp", Accounts: []carrier.Account{{Username: "pbx01", Password: "s3cret"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	cfg := trunkPBX(t, c.Addr())
	p := &cfg.Peers[0]
	p.Transport, p.Username, p.Password = "tcp", "pbx01", "s3cret"
	p.Register = &pbxconfig.TrunkRegister{ContactUser: "trunk1"}
	// the carrier's calls come from its address on any port: a TCP
	// connection it opens has a port of its own, not its listening port
	// (the default ACL, host and port, would challenge them: 407)
	p.ACL = []string{carrierIP.String()}
	in, err := pbxtest.Start(cfg, pbxtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })

	b, err := c.WaitRegistered(ctx, "pbx01", 1)
	if err != nil {
		t.Fatalf("trunk registration: %v", err)
	}
	if b.Transport != "tcp" || !strings.Contains(b.Contact, "trunk1@") {
		t.Errorf("binding %+v: want trunk1's contact, over tcp", b)
	}

	a, err := phone.NewAgent(phone.Config{LocalIP: netip.MustParseAddr("127.0.0.1"), Target: in.Target()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	caller, err := a.NewPhone(phone.PhoneConfig{Number: "1000", Password: "demo1000"})
	if err != nil {
		t.Fatal(err)
	}
	rang := make(chan *phone.Call, 1)
	callee, err := a.NewPhone(phone.PhoneConfig{Number: "1001", Password: "demo1001", OnIncoming: func(call *phone.Call) { rang <- call }})
	if err != nil {
		t.Fatal(err)
	}
	for _, ph := range []*phone.Phone{caller, callee} {
		if _, err := ph.Register(ctx); err != nil {
			t.Fatal(err)
		}
	}

	// out through the trunk
	out, err := caller.Dial(ctx, "90201000")
	if err != nil {
		t.Fatal(err)
	}
	if err := out.WaitAnswer(ctx); err != nil {
		t.Fatalf("call out not answered: %v", err)
	}
	inv, err := c.WaitInvites(ctx, 1)
	if err != nil || inv[0].Transport != "tcp" || inv[0].User != "0201000" || inv[0].Call == nil {
		t.Fatalf("carrier's INVITEs %+v: %v: want 0201000 over tcp, answered", inv, err)
	}
	out.ExpectIdentity(phone.IdentityFor("0201000"))
	if tw, err := phone.VerifyTwoWay(ctx, out, inv[0].Call); err != nil || !tw.OK() {
		t.Errorf("call out: two-way audio %+v: %v", tw, err)
	}
	if err := out.Hangup(ctx); err != nil {
		t.Fatal(err)
	}

	// in from the carrier to DID 1001 at the registered contact
	dial, err := c.Call(ctx, "1001", "0301000")
	if err != nil {
		t.Fatal(err)
	}
	var leg *phone.Call
	select {
	case leg = <-rang:
	case <-ctx.Done():
		t.Fatal("the DID's phone never rang")
	}
	if err := dial.WaitAnswer(ctx); err != nil {
		t.Fatalf("inbound call not answered: %v", err)
	}
	dial.ExpectIdentity(phone.IdentityFor("1001"))
	leg.ExpectIdentity(phone.IdentityFor("0301000"))
	if tw, err := phone.VerifyTwoWay(ctx, dial, leg); err != nil || !tw.OK() {
		t.Errorf("inbound call: two-way audio %+v: %v", tw, err)
	}
	if err := dial.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if end, _ := leg.Wait(ctx); end.Reason != phone.ReasonBye {
		t.Errorf("the DID's leg ended %+v, want BYE", end)
	}
	if r, ok := in.Server.TrunkRegistration("telco"); !ok || !r.Registered {
		t.Errorf("PBX's trunk registration %+v", r)
	}
}

// tcpTrunkScenario declares its carrier on TCP; the PBX registers its
// trunk with the carrier's account and the carrier's DID calls follow
// that registration (via: pbx01).
const tcpTrunkScenario = `name: tcp-trunk
population: {count: 4, first: "1000", password: "demo{n}"}
behaviours: {answer: 100}
answer_delay: 100ms
calls: {rate: 4, hold: 2s, duration: 2s, ring_timeout: 8s}
audio: {verify: true}
seed: 5
carriers:
  - name: telco
    transport: tcp
    accounts: [{username: pbx01, password: s3cret}]
    outbound: {percent: 50, prefix: "9", numbers: {first: "0201000", count: 5}}
    inbound: {rate: 2, dids: {first: "1000", count: 4}, from: {first: "0301000", count: 5}, via: pbx01}
`

// TestTCPTrunkScenarioAgainstPBX: a scenario's carrier with transport:
// tcp, against pbxlab's trunk over TCP: calls out through the trunk and
// the carrier's DID calls all end as told, with two-way audio.
func TestTCPTrunkScenarioAgainstPBX(t *testing.T) {
	checkLeaks(t)
	sc, err := scenario.Parse("tcp-trunk.yaml", []byte(tcpTrunkScenario))
	if err != nil {
		t.Fatal(err)
	}
	sc.Carriers[0].Listen = netip.AddrPortFrom(carrierIP, 0).String()
	cs, err := StartCarriers(sc)
	if err != nil {
		t.Fatalf("StartCarriers: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	c := cs.Carrier("telco")
	cfg := trunkPBX(t, c.Addr())
	p := &cfg.Peers[0]
	p.Transport, p.Username, p.Password, p.ACL = "tcp", "pbx01", "s3cret", []string{carrierIP.String()}
	p.Register = &pbxconfig.TrunkRegister{ContactUser: "trunk1"}
	in, err := pbxtest.Start(cfg, pbxtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if b, err := c.WaitRegistered(ctx, "pbx01", 1); err != nil || b.Transport != "tcp" {
		t.Fatalf("trunk registration %+v: %v", b, err)
	}
	rep, err := Run(ctx, sc, Target{Addr: in.Target()}, WithLocalIP(netip.MustParseAddr("127.0.0.1")), WithCarriers(cs))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var text strings.Builder
	_ = rep.Text(&text)
	t.Log("\n" + text.String())
	tr := rep.Trunks["telco"]
	if tr.Out.Attempted < 2 || tr.Out.Answered != tr.Out.Attempted || tr.In.Attempted < 2 || tr.In.Answered != tr.In.Attempted {
		t.Errorf("trunk calls %+v: want several each way, all answered", tr)
	}
	if rep.Calls.Unexpected != 0 || rep.Audio.Checked == 0 || rep.Audio.Verified != rep.Audio.Checked {
		t.Errorf("calls %+v audio %+v: want none unexpected, every answered call's audio verified", rep.Calls, rep.Audio)
	}
	for _, inv := range c.Invites() {
		if inv.Transport != "tcp" {
			t.Errorf("carrier's INVITE %s over %q", inv.CallID, inv.Transport)
		}
	}
}
