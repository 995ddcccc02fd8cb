package pcapio

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/testpeer"
	"pbxlab/internal/testproc"
)

// tshark runs tshark with args and returns its non-empty output lines. A
// missing tshark skips the test, loudly (fails it under CI=true).
func tshark(t *testing.T, args ...string) []string {
	t.Helper()
	bin := testpeer.Require(t, testpeer.Tshark)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.Command(bin, append([]string{"-n"}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir()) // no user preferences
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := testproc.Run(ctx, cmd); err != nil {
		t.Fatalf("tshark %v: %v\n%s", args, err, stderr.String())
	}
	var lines []string
	for l := range strings.SplitSeq(out.String(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

func writeSampleFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sample.pcapng")
	if err := os.WriteFile(path, sampleCapture(t), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTsharkDissectsSIP(t *testing.T) {
	path := writeSampleFile(t)
	got := tshark(t, "-r", path, "-Y", "sip", "-T", "fields", "-E", "separator=,",
		"-e", "frame.protocols", "-e", "sip.Method", "-e", "sip.Status-Code")
	var summary []string
	for _, l := range got {
		f := strings.Split(l, ",")
		if len(f) != 3 {
			t.Fatalf("tshark line %q: want 3 fields", l)
		}
		transport := "udp"
		if strings.Contains(f[0], ":tcp:") {
			transport = "tcp"
		}
		family := "ipv4"
		if strings.Contains(f[0], ":ipv6:") {
			family = "ipv6"
		}
		summary = append(summary, family+" "+transport+" "+f[1]+f[2])
	}
	want := []string{
		"ipv4 udp OPTIONS", "ipv4 udp 200",
		"ipv6 udp OPTIONS", "ipv6 udp 200",
		"ipv4 tcp OPTIONS", "ipv4 tcp 200", // the request reassembled from two segments
	}
	if !slices.Equal(summary, want) {
		t.Errorf("tshark SIP = %q, want %q", summary, want)
	}
}

func TestTsharkDissectsRTP(t *testing.T) {
	path := writeSampleFile(t)
	port := strconv.Itoa(int(sampleRTPA.Port()))
	got := tshark(t, "-r", path, "-d", "udp.port=="+port+",rtp", "-Y", "rtp",
		"-T", "fields", "-e", "rtp.seq", "-e", "rtp.p_type")
	var want []string
	for i := range sampleRTPCount {
		want = append(want, strconv.Itoa(100+i)+"\t0", strconv.Itoa(500+i)+"\t0")
	}
	if !slices.Equal(got, want) {
		t.Errorf("tshark RTP = %q, want %q", got, want)
	}
}

func TestTsharkFindsNoProblems(t *testing.T) {
	path := writeSampleFile(t)
	check := []string{"-r", path,
		"-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"}
	good := tshark(t, append(check, "-Y", "udp.checksum.status == 1 || tcp.checksum.status == 1")...)
	if len(good) == 0 {
		t.Fatal("tshark verified no checksum: the check below would prove nothing")
	}
	bad := tshark(t, append(check, "-Y",
		"ip.checksum.status != 1 || udp.checksum.status != 1 || tcp.checksum.status != 1 || "+
			"tcp.analysis.flags || _ws.malformed || _ws.expert.severity >= warning")...)
	if len(bad) != 0 {
		t.Errorf("tshark reports problems:\n%s", strings.Join(bad, "\n"))
	}
}
