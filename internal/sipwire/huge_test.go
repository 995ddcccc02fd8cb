package sipwire

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/internal/pcapio"
)

// TestScanGeneratedDialogs: the generator the benchmark and the huge
// capture use yields exactly its dialogs' messages, nothing skipped.
func TestScanGeneratedDialogs(t *testing.T) {
	const n = 20
	data := capture(t, func(w *pcapio.Writer, clk *clock.Fake) { writeDialogs(w, clk, 0, n) })
	labels, st, err := scanAll(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != n*msgsPerDialog || st.NotSIP != n*2*rtpPerDialog || st.Cut+st.Unparsable+st.TCPGaps+st.FlowsEvicted != 0 {
		t.Errorf("%d messages (want %d), stats %+v", len(labels), n*msgsPerDialog, st)
	}
}

// TestStreamHugeCapture is the constant-memory proof, run by hand only:
//
//	PBXLAB_HUGE_CAPTURE=1 go test -run TestStreamHugeCapture -v -timeout 30m ./internal/sipwire/
//
// It writes a synthetic capture of PBXLAB_HUGE_CAPTURE_MB megabytes (1024
// by default) of SIP dialogs over UDP and TCP with RTP to a temp dir,
// streams it through Scan, checks every message came out, and logs the
// peak heap, the peak RSS of the scan (VmHWM, reset before it) and MB/s.
func TestStreamHugeCapture(t *testing.T) {
	if os.Getenv("PBXLAB_HUGE_CAPTURE") != "1" {
		t.Skip("set PBXLAB_HUGE_CAPTURE=1 to write and stream a 1 GB capture")
	}
	mb := 1024
	if v, err := strconv.Atoi(os.Getenv("PBXLAB_HUGE_CAPTURE_MB")); err == nil && v > 0 {
		mb = v
	}
	path := filepath.Join(t.TempDir(), "huge.pcapng")
	dialogs, size := writeHuge(t, path, int64(mb)<<20)
	t.Logf("wrote %s: %d dialogs, %.0f MB", path, dialogs, float64(size)/1e6)

	runtime.GC()
	resetPeakRSS(t)
	var peakHeap uint64
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peakHeap = max(peakHeap, ms.HeapInuse)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc, err := NewScanner(f)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	n := 0
	for {
		_, err := sc.Next()
		if err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
		if n++; n%2000 == 0 {
			sample()
		}
	}
	elapsed := time.Since(start)
	sample()
	st := sc.Stats()
	t.Logf("scanned %d SIP messages in %v: %.0f MB/s; peak heap in use %.1f MB; peak RSS of the scan (VmHWM) %s",
		n, elapsed.Round(time.Millisecond), float64(size)/1e6/elapsed.Seconds(), float64(peakHeap)/1e6, vmHWM(t))
	t.Logf("stats %+v", st)
	if n != dialogs*msgsPerDialog || st.Cut+st.Unparsable != 0 {
		t.Errorf("%d messages, want %d; stats %+v", n, dialogs*msgsPerDialog, st)
	}
}

// writeHuge writes dialogs to path until it holds size bytes.
func writeHuge(t *testing.T, path string, size int64) (dialogs int, written int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	clk := clock.NewFake(epoch)
	w, err := pcapio.NewWriter(bw, pcapio.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	const batch = 1000
	for {
		writeDialogs(w, clk, dialogs, batch)
		dialogs += batch
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if fi, err := f.Stat(); err != nil {
			t.Fatal(err)
		} else if fi.Size() >= size {
			break
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return dialogs, fi.Size()
}

// resetPeakRSS resets VmHWM (Linux: write 5 to /proc/self/clear_refs), so
// it measures the scan, not the writing before it.
func resetPeakRSS(t *testing.T) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Logf("cannot reset the peak RSS (%v): VmHWM includes writing the capture", err)
	}
}

// vmHWM is the process's peak resident set size from /proc/self/status.
func vmHWM(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	for line := range bytes.Lines(b) {
		if v, ok := strings.CutPrefix(string(line), "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
