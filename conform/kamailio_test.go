package conform

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/leakcheck"
	"pbxlab/internal/testpeer"
	"pbxlab/internal/testproc"
)

// freePort returns a port free for both UDP and TCP on 127.0.0.1 (Kamailio
// listens on both).
func freePort(t *testing.T) int {
	t.Helper()
	for range 50 {
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		_ = pc.Close()
		if err == nil {
			_ = ln.Close()
			return port
		}
	}
	t.Fatal("no port free for both UDP and TCP")
	return 0
}

// startKamailio runs Kamailio with targets/kamailio.cfg on 127.0.0.1:port
// (UDP and TCP) in its own process group, which the test's cleanup ends
// (internal/testproc), and waits until it answers OPTIONS.
func startKamailio(t *testing.T) (addr, logPath string) {
	t.Helper()
	kam := testpeer.Require(t, testpeer.Kamailio)
	port := freePort(t)
	dir := t.TempDir()
	logPath = filepath.Join(dir, "kamailio.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = logf.Close() })
	cmd := exec.Command(kam, "-f", filepath.Join("targets", "kamailio.cfg"), "-DD", "-E", "-m", "64", "-M", "8",
		"-l", fmt.Sprintf("udp:127.0.0.1:%d", port), "-l", fmt.Sprintf("tcp:127.0.0.1:%d", port),
		"-Y", dir, "-P", filepath.Join(dir, "kamailio.pid"))
	cmd.Stdout, cmd.Stderr = logf, logf
	testproc.StartTB(t, cmd)
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := Probe(t.Context(), "udp", addr, time.Second)
		if r.Err == nil {
			t.Logf("Kamailio at %s: %s", addr, r)
			return addr, logPath
		}
		if time.Now().After(deadline) {
			t.Fatalf("Kamailio does not answer after 30 s: %v\n%s", r.Err, tailFile(logPath, 30))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestConformKamailio runs pbxlab conform against Kamailio from Debian as
// a registrar/proxy (targets/kamailio.cfg, profile targets/kamailio.yaml):
// every scenario the profile selects — registration, basic calls, the
// must-run list of a proxy-registrar — passes, and the results are the
// committed results/kamailio.json that the README's table shows.
func TestConformKamailio(t *testing.T) {
	leakcheck.Check(t)
	addr, logPath := startKamailio(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	rep, _, err := runConform(ctx, t, addr, filepath.Join("targets", "kamailio.yaml"), "conform-kamailio", false)
	if err != nil {
		t.Fatalf("%v\n%s", err, tailFile(logPath, 30))
	}
	if !rep.OK() {
		t.Errorf("Kamailio fails its profile: %v\n%s\n%s", rep.Problems, strings.Join(rep.Features.Failures, "\n"), tailFile(logPath, 30))
	}
	passed := map[string]bool{}
	for _, d := range rep.Features.Details {
		passed[d.ID()] = d.Status == "passed"
	}
	for _, id := range []string{
		"registration/register.feature / A registered phone can be called",
		"calls/basic.feature / An answered call has two-way audio and the caller hangs up",
		"calls/basic.feature / The callee hangs up",
	} {
		if !passed[id] {
			t.Errorf("%s did not pass against Kamailio", id)
		}
	}
	sameResults(t, rep.Results(), filepath.Join("results", "kamailio.json"))

	// Over TCP, with a tag expression that selects nothing: the must-run
	// scenarios run all the same, and pass.
	p, err := LoadProfile(filepath.Join("targets", "kamailio.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(Config{Target: addr, Profile: p, Transport: "tcp", Tags: "@nothing-has-this-tag"})
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !tcp.OK() || tcp.Features.Passed != len(tcp.Plan.MustRun) || len(tcp.Plan.MustRun) != 7 {
		var b strings.Builder
		_ = tcp.WriteText(&b)
		t.Errorf("over TCP, must-run only: %s\n%s", b.String(), tailFile(logPath, 30))
	}
}

func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "--- " + filepath.Base(path) + " ---\n" + strings.Join(lines, "\n")
}
