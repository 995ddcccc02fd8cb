package sim

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"pbxlab/sim/scenario"
)

func checkLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

const runScenario = `name: run-test
population: {count: 6, first: "100", password: "pw{n}", register_expires: 60s}
behaviours: {answer: 50, busy: 17, no_answer: 17, reject: 16}
answer_delay: 100ms
calls: {rate: 4, hold: 1s, duration: 2s, max_concurrent: 10, ring_timeout: 500ms}
audio: {verify: true}
seed: 3
`

func TestRunAgainstAForwardingProxy(t *testing.T) {
	checkLeaks(t)
	pbx := newFakePBX(t)
	sc, err := scenario.Parse("run.yaml", []byte(runScenario))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := Run(ctx, sc, Target{Addr: pbx.addr}, WithLocalIP(netip.MustParseAddr("127.0.0.1")))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var text bytes.Buffer
	if err := rep.Text(&text); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", text.String())

	if rep.Registrations.OK != 6 || rep.Registrations.Failed != 0 || rep.Registrations.Unregistered != 6 {
		t.Errorf("registrations %+v", rep.Registrations)
	}
	if pbx.bindings() != 0 {
		t.Errorf("%d bindings left after the run", pbx.bindings())
	}
	c := rep.Calls
	if c.Attempted+c.Skipped != 8 {
		t.Errorf("attempted %d + skipped %d, want 8 (4/s for 2s)", c.Attempted, c.Skipped)
	}
	if c.Answered == 0 || c.Unexpected != 0 {
		t.Errorf("calls %+v: want some answered and every outcome as the callee behaviour implies", c)
	}
	for code := range c.ByCode {
		switch code {
		case 200, 486, 487, 603:
		default:
			t.Errorf("unexpected final status %d in %v", code, c.ByCode)
		}
	}
	if rep.Audio.Checked != c.Answered || rep.Audio.Verified != c.Answered || rep.Audio.VerifiedPercent != 100 {
		t.Errorf("audio %+v for %d answered calls", rep.Audio, c.Answered)
	}
	if rep.SetupTime.Count != c.Answered || rep.SetupTime.P50 <= 0 {
		t.Errorf("setup time %+v", rep.SetupTime)
	}
	// both legs of every answered call measured; the phones share the
	// run's registry, so one-way delays are known; loopback: no loss
	if q := rep.Quality; q.Streams != 2*c.Answered || q.Silent != 0 || q.MOSMin < 4 || q.LossMax != 0 || q.Delay.Count != q.Streams {
		t.Errorf("quality %+v for %d answered calls: want 2 streams each, none silent, MOS >= 4, no loss, every delay known", q, c.Answered)
	}
}

func TestRunRejectsBadTarget(t *testing.T) {
	sc, err := scenario.Parse("run.yaml", []byte(runScenario))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), sc, Target{Addr: "no-port"}); !errors.Is(err, ErrBadTarget) {
		t.Fatalf("Run with a bad target = %v", err)
	}
}
