package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"pbxlab/internal/leakcheck"
	"pbxlab/internal/sipstack"
	"pbxlab/pbx/pbxtest"
)

// TestMain sets sipgo up for the test process, as main does for a command.
func TestMain(m *testing.M) {
	if err := sipstack.Setup(sipstack.Defaults()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// inProcessSetup is the set-up of a command run inside the test process:
// TestMain already set the process up, so a command that asks for other
// sipgo behaviour fails; its logger is not installed (sipgo's stray logs
// stay the test process's); GOMAXPROCS is not adapted (the test binary's
// parallel tests share it).
func inProcessSetup() processSetup { return processSetup{sip: inProcessSIP} }

func inProcessSIP(s sipstack.Settings) error {
	s.Logger = nil
	return sipstack.Setup(s)
}

// setupRecorder records what a command asks sipstack for, then calls next.
type setupRecorder struct {
	mu   sync.Mutex
	got  []sipstack.Settings
	next func(sipstack.Settings) error
}

func (r *setupRecorder) setup(s sipstack.Settings) error {
	r.mu.Lock()
	r.got = append(r.got, s)
	r.mu.Unlock()
	return r.next(s)
}

func (r *setupRecorder) settings(t *testing.T) sipstack.Settings {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.got) != 1 {
		t.Fatalf("the command set sipgo up %d times, want once", len(r.got))
	}
	return r.got[0]
}

var errStop = errors.New("stop after set-up")

// TestServeSetsSipgoUpFromConfig: sip.t1/t2/t4 become sipgo's transaction
// timers, the rest are pbxlab's defaults, and sipgo logs through the
// process's logger.
func TestServeSetsSipgoUpFromConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "pbx.yaml")
	yaml := "sip:\n  listen: [\"udp:127.0.0.1:0\"]\n  t1: 250ms\n  t2: 2s\n  t4: 3s\nsubscriber_ranges: [{from: \"1000\", to: \"1001\", password: \"pw{n}\"}]\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := &setupRecorder{next: func(sipstack.Settings) error { return errStop }}
	var out, errb bytes.Buffer
	if code := run([]string{"serve", "--config", cfg, "--store", filepath.Join(dir, "pbx.db")}, &out, &errb, processSetup{sip: rec.setup}); code != 1 || !strings.Contains(errb.String(), errStop.Error()) {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	got := rec.settings(t)
	if got.Logger == nil {
		t.Error("serve does not route sipgo's default logger to its own")
	}
	want := sipstack.Defaults()
	want.T1, want.T2, want.T4 = 250*time.Millisecond, 2*time.Second, 3*time.Second
	got.Logger = nil
	if got != want {
		t.Errorf("serve set sipgo up with %s, want %s", got, want)
	}
}

// TestSimSetsSipgoUpLikeTheSimTests: `pbxlab sim` runs sipgo with exactly
// the settings the sim tests' TestMain uses (sipstack.Defaults), the logger
// aside; before, only a process that linked pbx raised sipgo's UDP limit.
func TestSimSetsSipgoUpLikeTheSimTests(t *testing.T) {
	leakcheck.Check(t, 1) // os/signal's loop, started by run's first signal.NotifyContext, never ends
	in, err := pbxtest.Start(nil, pbxtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	sc := filepath.Join(t.TempDir(), "tiny.yaml")
	yaml := `name: tiny
population: {count: 2, first: "1000", password: "demo{n}", register_expires: 3600s, transport: udp}
behaviours: {answer: 100, busy: 0, no_answer: 0, reject: 0}
calls: {rate: 1, hold: 200ms, duration: 1s, max_concurrent: 1, ring_timeout: 2s}
audio: {verify: false}
seed: 1
`
	if err := os.WriteFile(sc, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := &setupRecorder{next: inProcessSIP}
	var out, errb bytes.Buffer
	if code := run([]string{"sim", sc, "--target", in.Target()}, &out, &errb, processSetup{sip: rec.setup}); code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out.String(), errb.String())
	}
	t.Log(out.String())
	got := rec.settings(t)
	if got.Logger == nil {
		t.Error("sim does not route sipgo's default logger to its own")
	}
	got.Logger = nil
	if got != sipstack.Defaults() {
		t.Errorf("sim set sipgo up with %s, the sim tests with %s", got, sipstack.Defaults())
	}
}
