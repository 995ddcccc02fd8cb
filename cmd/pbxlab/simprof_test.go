package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pbxlab/internal/leakcheck"
	"pbxlab/pbx/pbxtest"
)

// TestSimProfileFlags: --cpuprofile writes a CPU profile of the run and
// the run says how long registering took; the idle measurement of
// --memprofile (10 s later, after this short run) is TestSimProfileMeasure's.
func TestSimProfileFlags(t *testing.T) {
	leakcheck.Check(t, 1) // os/signal's loop, as in TestSimThresholdsDecideTheExitCode
	in, err := pbxtest.Start(nil, pbxtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	dir := t.TempDir()
	file := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(file, []byte(thresholdScenario+"  - \"failures == 0\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cpu, heap := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "heap.pprof")
	var out, errb bytes.Buffer
	code := run([]string{"sim", file, "--target", in.Target(), "--cpuprofile", cpu, "--memprofile", heap}, &out, &errb, inProcessSetup())
	if code != 0 || !strings.Contains(errb.String(), "sim: 2 phones registered in ") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out.String(), errb.String())
	}
	if st, err := os.Stat(cpu); err != nil || st.Size() == 0 {
		t.Fatalf("cpu profile: %v %v", st, err)
	}
	if _, err := os.Stat(heap); err == nil {
		t.Fatal("heap profile written before the phones were idle")
	}
}

// TestSimProfileMeasure: the idle measurement prints the heap and RSS per
// phone and writes a heap profile.
func TestSimProfileMeasure(t *testing.T) {
	var errb bytes.Buffer
	heap := filepath.Join(t.TempDir(), "heap.pprof")
	p := &simProfile{memFile: heap, stderr: &errb}
	p.measure(4)
	if !strings.Contains(errb.String(), "sim: 4 idle phones: heap ") || !strings.Contains(errb.String(), "B/phone), rss ") {
		t.Fatalf("stderr %q", errb.String())
	}
	if st, err := os.Stat(heap); err != nil || st.Size() == 0 {
		t.Fatalf("heap profile: %v %v", st, err)
	}
}
