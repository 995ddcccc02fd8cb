package sim

import (
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pbxconfig "pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/carrier"
	"pbxlab/sim/phone"
	"pbxlab/sim/scenario"
)

// carrierIP is where the test carriers listen: a loopback address of
// their own, so that trusting it (inbound calls by source address) does
// not trust the phones on 127.0.0.1.
var carrierIP = netip.MustParseAddr("127.0.0.2")

// trunkPBX is examples/office-trunk.yaml (the demo office with a trunk
// to a carrier: peer "telco", route "out" for 9 + 4..20 digits with the 9
// stripped for the carrier, the carrier trusted by address for its
// inbound calls) with the carrier at addr.
func trunkPBX(t testing.TB, addr netip.AddrPort) *pbxconfig.Config {
	t.Helper()
	cfg, err := pbxconfig.Load(filepath.Join("..", "examples", "office-trunk.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.TrustedPeers[0].Address = addr.Addr().String() + "/32"
	cfg.Peers[0].Host, cfg.Peers[0].Port = addr.Addr().String(), int(addr.Port())
	return cfg
}

// startTrunkPBX starts the carriers of sc (on carrierIP, free ports) and
// a PBX trunked to the first one.
func startTrunkPBX(t testing.TB, sc *scenario.Scenario) (*Carriers, *pbxtest.Instance) {
	t.Helper()
	for i := range sc.Carriers {
		sc.Carriers[i].Listen = netip.AddrPortFrom(carrierIP, 0).String()
	}
	cs, err := StartCarriers(sc)
	if err != nil {
		t.Fatalf("StartCarriers: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs, startPBXTrunkedTo(t, cs.Carrier(sc.Carriers[0].Name).Addr())
}

// startPBXTrunkedTo starts pbxlab in-process with trunkPBX(addr).
func startPBXTrunkedTo(t testing.TB, addr netip.AddrPort) *pbxtest.Instance {
	t.Helper()
	in, err := pbxtest.Start(trunkPBX(t, addr), pbxtest.Options{})
	if err != nil {
		t.Fatalf("start pbx: %v", err)
	}
	t.Cleanup(func() { _ = in.Close() })
	return in
}

// TestOfficeTrunkAgainstPBX runs scenarios/office-trunk.yaml end to end
// against pbxlab: phones call each other and out through the route to the
// simulated carrier, the carrier calls the office's DIDs; every call ends
// as its far end was told to, with two-way audio on every answered call.
func TestOfficeTrunkAgainstPBX(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 5 s scenario")
	}
	checkLeaks(t)
	sc, err := scenario.Load(filepath.Join("..", "scenarios", "office-trunk.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cs, in := startTrunkPBX(t, sc)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := Run(ctx, sc, Target{Addr: in.Target()}, WithLocalIP(netip.MustParseAddr("127.0.0.1")), WithCarriers(cs))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var text strings.Builder
	_ = rep.Text(&text)
	t.Log("\n" + text.String())
	tr := rep.Trunks["telco"]
	if tr.Out.Attempted < 2 || tr.Out.Answered != tr.Out.Attempted || tr.Out.Unexpected != 0 {
		t.Errorf("calls out through the trunk %+v: want several, all answered", tr.Out)
	}
	if tr.In.Attempted < 3 || tr.In.Unexpected != 0 || tr.In.Answered == 0 {
		t.Errorf("inbound DID calls %+v: want ~5, each as its DID's phone behaves", tr.In)
	}
	if rep.Calls.Unexpected != 0 || rep.Calls.Attempted <= tr.Out.Attempted+tr.In.Attempted {
		t.Errorf("calls %+v: want office calls beside the trunk's, none unexpected", rep.Calls)
	}
	if rep.Audio.Checked == 0 || rep.Audio.Verified != rep.Audio.Checked {
		t.Errorf("audio %+v: every answered call proves two-way audio", rep.Audio)
	}
	invites := cs.Carrier("telco").Invites()
	if len(invites) != tr.Out.Attempted {
		t.Errorf("carrier saw %d INVITEs, the phones placed %d trunk calls", len(invites), tr.Out.Attempted)
	}
	for _, inv := range invites {
		if !strings.HasPrefix(inv.User, "02010") || len(inv.User) != 7 {
			t.Errorf("carrier's Request-URI user %q: want a 0201000-0201049 number, the 9 stripped", inv.User)
		}
	}
}

// TestTrunkCallsOutFailing: a carrier that rejects every call (503 with
// Retry-After) fails every call out through the trunk; the runner counts
// those failures as expected, since the carrier was told to reject.
func TestTrunkCallsOutFailing(t *testing.T) {
	checkLeaks(t)
	sc, err := scenario.Parse("failing.yaml", []byte(`name: failing-trunk
population: {count: 2, first: "1000", password: "demo{n}"}
behaviours: {answer: 100}
calls: {rate: 4, hold: 500ms, duration: 1s, ring_timeout: 8s}
seed: 3
carriers:
  - name: telco
    answer: {action: reject, code: 503, retry_after: 5s}
    outbound: {percent: 100, prefix: "9", numbers: {first: "0201000", count: 5}}
`))
	if err != nil {
		t.Fatal(err)
	}
	cs, in := startTrunkPBX(t, sc)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := Run(ctx, sc, Target{Addr: in.Target()}, WithLocalIP(netip.MustParseAddr("127.0.0.1")), WithCarriers(cs))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	out := rep.Trunks["telco"].Out
	if out.Attempted != 4 || out.Answered != 0 || out.Unexpected != 0 {
		t.Errorf("calls out %+v: want 4 attempted, none answered, all as told", out)
	}
	if got := len(cs.Carrier("telco").Invites()); got < 1 {
		t.Errorf("the carrier saw %d INVITEs", got)
	}
	if rep.Calls.ByCode[503] != 0 {
		t.Errorf("final codes %v: the carrier's 503 reached a phone", rep.Calls.ByCode)
	}
}

// TestTrunkFailoverOnCommand: pbxlab's route "out" lists two simulated
// carriers; the first answers until told to fail (Fail(503)), then the
// next call fails over to the second, which answers with two-way audio.
func TestTrunkFailoverOnCommand(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var carriers []*carrier.Carrier
	for range 2 {
		c, err := carrier.New(carrier.Config{LocalIP: carrierIP})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		carriers = append(carriers, c)
	}
	first, second := carriers[0], carriers[1]
	cfg := trunkPBX(t, first.Addr())
	cfg.Peers = append(cfg.Peers, pbxconfig.Peer{Name: "telco2", Host: carrierIP.String(), Port: int(second.Addr().Port())})
	cfg.Routes[0].Peers = []string{"telco", "telco2"}
	in, err := pbxtest.Start(cfg, pbxtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	a, err := phone.NewAgent(phone.Config{LocalIP: netip.MustParseAddr("127.0.0.1"), Target: in.Target()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	p, err := a.NewPhone(phone.PhoneConfig{Number: "1000", Password: "demo1000"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Register(ctx); err != nil {
		t.Fatal(err)
	}
	call := func(want *carrier.Carrier) {
		t.Helper()
		before := len(want.Invites())
		c, err := p.Dial(ctx, "90201000")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitAnswer(ctx); err != nil {
			t.Fatalf("call not answered: %v", err)
		}
		// The answering carrier sends the dialled number's identity.
		c.ExpectIdentity(phone.IdentityFor("0201000"))
		if res, err := c.TwoWayAudio(ctx); err != nil {
			t.Errorf("audio %+v: %v", res, err)
		}
		if err := c.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		if got := len(want.Invites()); got != before+1 {
			t.Errorf("the expected carrier saw %d new INVITEs, want 1", got-before)
		}
	}
	call(first)
	if err := first.Fail(503); err != nil {
		t.Fatal(err)
	}
	call(second)
	inv := first.Invites()
	if last := inv[len(inv)-1]; last.Action != carrier.Reject {
		t.Errorf("the failing carrier's last INVITE: %+v, want rejected", last)
	}
}

// TestTrunkCarrierHearsTheCaller: on a call out through the trunk the
// carrier's leg checks it hears the caller too: with the phones muted (they
// still hear the carrier's tones) no call out passes the audio check.
func TestTrunkCarrierHearsTheCaller(t *testing.T) {
	checkLeaks(t)
	sc, err := scenario.Parse("muted.yaml", []byte(`name: muted-callers
population: {count: 2, first: "1000", password: "demo{n}"}
behaviours: {answer: 100}
calls: {rate: 2, hold: 1500ms, duration: 1s, ring_timeout: 8s}
audio: {verify: true}
seed: 3
carriers:
  - name: telco
    outbound: {percent: 100, prefix: "9", numbers: {first: "0201000", count: 5}}
`))
	if err != nil {
		t.Fatal(err)
	}
	cs, in := startTrunkPBX(t, sc)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	mute := func(c *config) {
		c.afterRegister = func(_ context.Context, phones []*phone.Phone) {
			for _, p := range phones {
				p.SetMute(true)
			}
		}
	}
	rep, err := Run(ctx, sc, Target{Addr: in.Target()}, WithLocalIP(netip.MustParseAddr("127.0.0.1")), WithCarriers(cs), mute)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	out := rep.Trunks["telco"].Out
	if out.Attempted != 2 || out.Answered != 2 {
		t.Fatalf("calls out %+v: want 2 answered", out)
	}
	if rep.Audio.Checked != 2 || rep.Audio.Verified != 0 {
		t.Errorf("audio %+v: want 2 checked, none verified (the carrier hears nothing)", rep.Audio)
	}
}
