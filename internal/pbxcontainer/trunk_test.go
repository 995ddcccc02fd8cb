package pbxcontainer

import (
	"fmt"
	"testing"
	"time"

	"pbxlab/internal/leakcheck"
	"pbxlab/pbx/config"
)

// Two PBXs trunked to each other, each in its container on one
// user-defined network, each with its phones in a simulator container.
// East (subscribers 1000-1099) sends 2xxx numbers out through a route to
// its peer West, named by its network alias (resolved by Docker's DNS);
// West (2000-2099) trusts East by its address and rings its subscriber.
// West's simulator only answers (rate 0); East's calls West's numbers
// (calls.remote) and hears each callee's own audio identity across both
// PBXs' anchors.
func TestTwoPBXContainersTrunked(t *testing.T) {
	img := shared.image(t)
	leakcheck.Check(t)
	nw := newNetwork(t)
	eastCfg := testConfig()
	eastCfg.Peers = []config.Peer{{Name: "west", Host: "pbx-west", Port: SIPPort}}
	eastCfg.Routes = []config.Route{{Name: "to-west", Peers: []string{"west"}}}
	eastCfg.Numbering.Entries = []config.NumberingEntry{{Prefix: "2", Min: 4, Max: 4, Kind: "route", Target: "to-west"}}
	east := runPBX(t, PBXOptions{Image: img, Network: nw, Config: eastCfg, Aliases: []string{"pbx-east"}, Log: testLogger(t)})

	westCfg := testConfig()
	westCfg.SubscriberRanges[0].From, westCfg.SubscriberRanges[0].To = "2000", "2099"
	westCfg.TrustedPeers = []config.TrustedPeer{{Name: "east", Address: east.IP().String() + "/32"}}
	runPBX(t, PBXOptions{Image: img, Network: nw, Config: westCfg, Aliases: []string{"pbx-west"}, Log: testLogger(t)})

	type result struct {
		res SimResult
		err error
	}
	westDone := make(chan result, 1)
	go func() {
		r, err := RunSim(t.Context(), SimOptions{Image: img, Network: nw, Log: testLogger(t),
			Target: fmt.Sprintf("pbx-west:%d", SIPPort),
			Scenario: []byte(`name: west
population: {count: 4, first: "2000", password: "ct-{n}-pw", register_expires: 3600s, transport: udp}
behaviours: {answer: 100}
answer_delay: 200ms
calls: {rate: 0, duration: 40s}
seed: 1
`)})
		westDone <- result{r, err}
	}()
	// ordering, not a timing check: West's phones register (its
	// container starts, four REGISTERs) before East calls them; a call
	// that comes too early fails the run as unexpected, it is not retried
	time.Sleep(10 * time.Second)
	eastRes, err := RunSim(t.Context(), SimOptions{Image: img, Network: nw, Log: testLogger(t),
		Target: fmt.Sprintf("pbx-east:%d", SIPPort),
		Scenario: []byte(`name: east
population: {count: 4, first: "1000", password: "ct-{n}-pw", register_expires: 3600s, transport: udp}
behaviours: {answer: 100}
calls: {rate: 1, hold: 1s, duration: 4s, max_concurrent: 2, ring_timeout: 5s, remote: {first: "2000", count: 4}}
audio: {verify: true}
seed: 1
`)})
	if err != nil {
		t.Fatalf("east simulator: %v", err)
	}
	rep := eastRes.Report
	if eastRes.ExitCode != 0 || rep == nil {
		t.Fatalf("east: pbxlab sim exited %d\nstdout:\n%s\nstderr:\n%s", eastRes.ExitCode, eastRes.Stdout, eastRes.Stderr)
	}
	t.Logf("east: registrations ok %d, calls to West attempted %d answered %d, audio verified %d/%d",
		rep.Registrations.OK, rep.Calls.Attempted, rep.Calls.Answered, rep.Audio.Verified, rep.Audio.Checked)
	if rep.Calls.Attempted == 0 || rep.Calls.Answered != rep.Calls.Attempted || rep.Calls.Unexpected != 0 {
		t.Errorf("east: calls %+v, want every call to West answered", rep.Calls)
	}
	if rep.Audio.Verified != rep.Calls.Answered {
		t.Errorf("east: West's callee heard on %d of %d answered calls", rep.Audio.Verified, rep.Calls.Answered)
	}
	w := <-westDone
	if w.err != nil || w.res.ExitCode != 0 || w.res.Report == nil {
		t.Fatalf("west simulator: %v, exit %d\nstdout:\n%s\nstderr:\n%s", w.err, w.res.ExitCode, w.res.Stdout, w.res.Stderr)
	}
	if got := w.res.Report.Registrations.OK; got != 4 {
		t.Errorf("west: %d registrations, want 4", got)
	}
}
