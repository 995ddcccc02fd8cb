package interop

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"pbxlab/internal/testpeer"
	"pbxlab/internal/testproc"
	"pbxlab/sim"
	simscenario "pbxlab/sim/scenario"
)

// TestSimAgainstKamailio drives a PBX nobody here wrote — Kamailio from
// Debian, configured by bench/kamailio.cfg as a registrar with digest
// authentication and a record-routing proxy — with the simulator: the
// population registers, calls with the full behaviour mix, and two-way audio
// is verified on every answered call. This is what "sim works against any
// SIP PBX" means.
func TestSimAgainstKamailio(t *testing.T) {
	kam := testpeer.Require(t, testpeer.Kamailio)
	dir := t.TempDir()
	port := freePort(t, "udp", "127.0.0.1")
	listen := fmt.Sprintf("udp:127.0.0.1:%d", port)
	cmd := exec.Command(kam, "-f", "../bench/kamailio.cfg", "-DD", "-E", "-m", "64", "-M", "8",
		"-l", listen, "-A", `UAS_ADDR="127.0.0.1:9"`,
		"-Y", dir, "-P", filepath.Join(dir, "kamailio.pid"))
	logf, err := os.Create(filepath.Join(dir, "kamailio.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	// the cleanup ends Kamailio's group and checks that no worker is left
	// and its port is free again
	proc := startProc(t, cmd, listen)
	time.Sleep(time.Second) // Kamailio forks its workers
	waitWorkers(t, proc)

	sc, err := simscenario.Parse("kamailio.yaml", []byte(`
name: kamailio
population: {count: 20, first: "1000", password: "pw{n}", register_expires: 600s, transport: udp}
behaviours: {answer: 50, busy: 20, no_answer: 15, reject: 15}
answer_delay: 500ms
calls: {rate: 3, hold: 2s, duration: 5s, max_concurrent: 20, ring_timeout: 2s}
audio: {verify: true}
seed: 7
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := sim.Run(ctx, sc, sim.Target{Addr: fmt.Sprintf("127.0.0.1:%d", port), Transport: "udp"})
	if err != nil {
		t.Fatalf("sim against Kamailio: %v\nkamailio log:\n%s", err, tail(filepath.Join(dir, "kamailio.log"), 30))
	}
	t.Logf("registrations ok %d failed %d; calls %d answered %d by code %v; audio %d/%d",
		rep.Registrations.OK, rep.Registrations.Failed, rep.Calls.Attempted, rep.Calls.Answered, rep.Calls.ByCode,
		rep.Audio.Verified, rep.Audio.Checked)
	switch {
	case rep.Registrations.OK < 20 || rep.Registrations.Failed != 0:
		t.Errorf("registrations: %+v", rep.Registrations)
	case rep.Calls.Answered == 0 || rep.Calls.Unexpected != 0:
		t.Errorf("calls: %+v", rep.Calls)
	case rep.Audio.Checked != rep.Calls.Answered || rep.Audio.Verified != rep.Audio.Checked:
		t.Errorf("two-way audio verified on %d of %d answered calls", rep.Audio.Verified, rep.Calls.Answered)
	}
}

// waitWorkers waits (30 s at most) until Kamailio's process group holds
// its workers as well as its main process: the group is what the cleanup
// ends, so the workers must be in it.
func waitWorkers(t *testing.T, proc *testproc.Proc) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		m, err := proc.Members()
		if err == nil && len(m) >= 2 {
			t.Logf("Kamailio: %d processes in group %d", len(m), proc.Pid())
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Kamailio's group %d holds %v (%v) after 30s: want its main process and its workers", proc.Pid(), m, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
