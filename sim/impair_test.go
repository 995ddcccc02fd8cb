package sim

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"pbxlab/sim/scenario"
)

// TestRunImpairedOnRealUDP: population.impairment applies to the phones'
// kernel socket too. With 50 ms each way, every signalling message crosses
// the impaired socket twice between caller and callee (out to the proxy,
// back in), so no call can be set up in less than answer_delay + 4 × 50 ms
// (INVITE out and in, 200 out and in); everything still succeeds.
func TestRunImpairedOnRealUDP(t *testing.T) {
	checkLeaks(t)
	pbx := newFakePBX(t)
	y := strings.Replace(runScenario, "register_expires: 60s}", "register_expires: 60s, impairment: {delay: 50ms}}", 1)
	y = strings.Replace(y, "audio: {verify: true}", "audio: {verify: false}", 1)
	y = strings.Replace(y, "ring_timeout: 500ms", "ring_timeout: 2s", 1)
	sc, err := scenario.Parse("run.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := Run(ctx, sc, Target{Addr: pbx.addr}, WithLocalIP(netip.MustParseAddr("127.0.0.1")))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Registrations.Failed != 0 || rep.Registrations.Unregistered != 6 {
		t.Errorf("registrations %+v", rep.Registrations)
	}
	if rep.Calls.Answered == 0 || rep.Calls.Unexpected != 0 {
		t.Fatalf("calls %+v", rep.Calls)
	}
	if floor := sc.AnswerDelay + 4*50*time.Millisecond; rep.SetupTime.P50 < floor {
		t.Errorf("median setup %v, below the %v the impairment imposes", rep.SetupTime.P50, floor)
	}
}
