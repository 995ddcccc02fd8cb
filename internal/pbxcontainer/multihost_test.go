package pbxcontainer

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"pbxlab/internal/leakcheck"
)

// simScenario is a smoke run for `count` phones from `first`: every callee
// answers, calls for 3 s, two-way audio verified on each answered call.
func simScenario(name, first string, count int) []byte {
	return fmt.Appendf(nil, `name: %s
population: {count: %d, first: "%s", password: "ct-{n}-pw", register_expires: 3600s, transport: udp}
behaviours: {answer: 100, busy: 0, no_answer: 0, reject: 0}
answer_delay: 200ms
calls: {rate: 1, hold: 1s, duration: 3s, max_concurrent: 2, ring_timeout: 5s}
audio: {verify: true}
seed: 1
`, name, count, first)
}

// Multi-host on a user-defined Docker network: the PBX in one container
// and two populations of simulated phones in two more (the same scratch
// image running `pbxlab sim`), reaching the PBX by its network alias
// through Docker's DNS. Each simulator registers its phones, calls between
// them through the PBX with two-way audio, and its exit code and JSON
// report say whether that worked. Two PBXs trunked to each other:
// trunk_test.go.
func TestMultiHostPBXAndSimulatorContainers(t *testing.T) {
	img := shared.image(t)
	leakcheck.Check(t)
	nw := newNetwork(t)
	p := runPBX(t, PBXOptions{Image: img, Network: nw, Config: testConfig(), Aliases: []string{"pbx"}, Log: testLogger(t)})
	type run struct {
		name, first string
		res         SimResult
		err         error
	}
	runs := []*run{{name: "east", first: "1000"}, {name: "west", first: "1050"}}
	var wg sync.WaitGroup
	start := time.Now()
	for _, r := range runs {
		wg.Go(func() {
			r.res, r.err = RunSim(t.Context(), SimOptions{
				Image: img, Network: nw,
				Scenario: simScenario(r.name, r.first, 4),
				Target:   fmt.Sprintf("pbx:%d", SIPPort),
				Log:      testLogger(t),
			})
		})
	}
	wg.Wait()
	t.Logf("two simulator containers ran in %s", time.Since(start).Round(time.Millisecond))
	for _, r := range runs {
		if r.err != nil {
			t.Errorf("%s: %v", r.name, r.err)
			continue
		}
		rep := r.res.Report
		if r.res.ExitCode != 0 || rep == nil {
			t.Errorf("%s: pbxlab sim exited %d\nstdout:\n%s\nstderr:\n%s", r.name, r.res.ExitCode, r.res.Stdout, r.res.Stderr)
			continue
		}
		t.Logf("%s: registrations ok %d, calls attempted %d answered %d, audio verified %d/%d",
			r.name, rep.Registrations.OK, rep.Calls.Attempted, rep.Calls.Answered, rep.Audio.Verified, rep.Audio.Checked)
		if rep.Registrations.OK < 4 || rep.Registrations.Failed != 0 {
			t.Errorf("%s: registrations %+v, want 4 ok", r.name, rep.Registrations)
		}
		if rep.Calls.Answered == 0 || rep.Calls.Failed != 0 || rep.Calls.Unexpected != 0 {
			t.Errorf("%s: calls %+v, want answered calls and no failure", r.name, rep.Calls)
		}
		if rep.Audio.Verified != rep.Calls.Answered {
			t.Errorf("%s: two-way audio verified on %d of %d answered calls", r.name, rep.Audio.Verified, rep.Calls.Answered)
		}
	}
	if t.Failed() {
		t.Logf("pbx container %s on %s", p.ID(), p.Internal())
	}
}
