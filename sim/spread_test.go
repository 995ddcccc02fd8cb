package sim

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"pbxlab/sim/phone"
	"pbxlab/sim/scenario"
)

// TestRunSpreadsPhonesOverAddrs: population.local_addrs and
// sockets_per_addr put the phones on 3 × 2 sockets, two phones each; the
// phones register from them and call each other across them (the fake PBX
// forwards each INVITE to the callee's socket), with audio.
func TestRunSpreadsPhonesOverAddrs(t *testing.T) {
	checkLeaks(t)
	pbx := newFakePBX(t)
	sc, err := scenario.Parse("spread.yaml", []byte(`name: spread
population: {count: 12, first: "100", password: "pw{n}", register_expires: 60s,
  local_addrs: [127.0.0.1, 127.0.0.2, 127.0.0.3], sockets_per_addr: 2, first_refresh: [0.6, 0.8]}
behaviours: {answer: 100}
calls: {rate: 4, hold: 600ms, duration: 1s, max_concurrent: 10}
audio: {verify: true}
seed: 5
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var registered int
	rep, err := Run(ctx, sc, Target{Addr: pbx.addr}, WithRegistered(func(n int, _ time.Duration) { registered = n }))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if registered != 12 {
		t.Errorf("WithRegistered saw %d phones, want 12", registered)
	}
	if r := rep.Registrations; r.OK != 12 || r.Failed != 0 || r.Unregistered != 12 {
		t.Errorf("registrations %+v", r)
	}
	src := pbx.sources()
	hosts := map[string]int{}
	for hp, n := range src {
		// two phones per socket, each registering and unregistering
		if n != 4 {
			t.Errorf("%d REGISTERs from %s, want 4 (two phones)", n, hp)
		}
		h, _, _ := net.SplitHostPort(hp)
		hosts[h]++
	}
	if len(src) != 6 || len(hosts) != 3 {
		t.Errorf("REGISTERs from %v: want 6 sockets on 3 addresses", src)
	}
	if c := rep.Calls; c.Attempted != 4 || c.Answered != 4 || rep.Audio.Verified != 4 {
		t.Errorf("calls %+v audio %+v: want 4 answered with two-way audio across the sockets", c, rep.Audio)
	}
}

// TestRunWithoutRegisterCallsTheTarget: population.register false starts
// the phones without a REGISTER and calls.remote dials the target
// directly, here a phone standing for a UAS (as `sipp -sn uas` in
// bench/sim.sh), signalling only.
func TestRunWithoutRegisterCallsTheTarget(t *testing.T) {
	checkLeaks(t)
	uas, err := phone.NewAgent(phone.Config{LocalIP: netip.MustParseAddr("127.0.0.1")}, phone.WithDefaultPhone("uas"))
	if err != nil {
		t.Fatal(err)
	}
	defer uas.Close()
	if _, err := uas.NewPhone(phone.PhoneConfig{Number: "uas", SignallingOnly: true}); err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Parse("uac.yaml", []byte(`name: uac
population: {count: 3, first: "100", password: "x", register: false}
behaviours: {answer: 100}
calls: {rate: 10, hold: 100ms, duration: 500ms, remote: {first: "9000", count: 1}}
audio: {share: 0}
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := Run(ctx, sc, Target{Addr: uas.Addr().String()})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if r := rep.Registrations; r.OK != 0 || r.Failed != 0 || r.Unregistered != 0 {
		t.Errorf("registrations %+v, want none", r)
	}
	if c := rep.Calls; c.Attempted != 5 || c.Answered != 5 || c.Unexpected != 0 {
		t.Errorf("calls %+v: want 5 answered by the target", c)
	}
}
