package interop

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/testpeer"
	"pbxlab/internal/testproc"
)

// requireSIPp returns the sipp binary or skips the test, loudly (fails it
// under CI).
func requireSIPp(t *testing.T) string {
	t.Helper()
	return testpeer.Require(t, testpeer.SIPp)
}

// scenario returns the path of a SIPp scenario in testdata/sipp.
func scenario(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", "sipp", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sippResult is what a finished SIPp run reports.
type sippResult struct {
	// ExitCode: 0 all calls succeeded, 1 some failed, 97 stopped by an
	// internal command, 99 ended without calls, 255/-1 fatal error.
	ExitCode int
	// Counters from the last line of the -trace_stat file (cumulative).
	Created, Successful, Failed int
	// Logs are the lines the scenario's <log> actions wrote.
	Logs []string
	dir  string
	name string
}

func (r sippResult) String() string {
	return fmt.Sprintf("sipp %s: exit %d, %d created, %d successful, %d failed",
		r.name, r.ExitCode, r.Created, r.Successful, r.Failed)
}

// diagnostics returns the tails of SIPp's error file and screen.
func (r sippResult) diagnostics() string {
	return tail(filepath.Join(r.dir, r.name+".err"), 40) + "\n" + tail(filepath.Join(r.dir, r.name+".screen"), 40)
}

// sippCmd builds a SIPp command that writes its statistics, errors, logs
// and final screen into dir with the prefix name.
func sippCmd(bin, dir, name string, args ...string) (*exec.Cmd, *os.File, error) {
	all := append([]string{
		"-nostdin",
		"-trace_stat", "-stf", filepath.Join(dir, name+".csv"), "-fd", "1",
		"-trace_err", "-error_file", filepath.Join(dir, name+".err"),
		"-trace_logs", "-log_file", filepath.Join(dir, name+".log"),
	}, args...)
	screen, err := os.Create(filepath.Join(dir, name+".screen"))
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(bin, all...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = screen, screen
	return cmd, screen, nil
}

// runSIPp runs SIPp to completion (bounded by ctx) and reads its results;
// any failure to run it or read its files is fatal.
func runSIPp(ctx context.Context, t *testing.T, bin, dir, name string, args ...string) sippResult {
	t.Helper()
	t.Logf("run: sipp %s", strings.Join(args, " "))
	res, err := execSIPp(ctx, bin, dir, name, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, res.diagnostics())
	}
	return res
}

// execSIPp is runSIPp without testing.T, for goroutines. SIPp runs in its
// own process group (internal/testproc), ended before execSIPp returns.
func execSIPp(ctx context.Context, bin, dir, name string, args ...string) (sippResult, error) {
	res := sippResult{dir: dir, name: name}
	cmd, screen, err := sippCmd(bin, dir, name, args...)
	if err != nil {
		return res, err
	}
	p, err := testproc.Start(cmd)
	_ = screen.Close() // SIPp has its own descriptor
	if err != nil {
		return res, err
	}
	err = p.Wait(ctx)
	if cerr := p.Close(); cerr != nil {
		return res, fmt.Errorf("sipp %s: %w", name, cerr)
	}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return res, fmt.Errorf("sipp %s did not finish in time: %w", name, ctx.Err())
	case err == nil:
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
	default:
		return res, fmt.Errorf("sipp %s: %w", name, err)
	}
	stats, err := readStats(filepath.Join(dir, name+".csv"))
	if err != nil {
		return res, fmt.Errorf("sipp %s statistics: %w", name, err)
	}
	res.Created, res.Successful, res.Failed = stats["TotalCallCreated"], stats["SuccessfulCall(C)"], stats["FailedCall(C)"]
	res.Logs = readLines(filepath.Join(dir, name+".log"))
	return res, nil
}

// readStats parses the last line of a SIPp -trace_stat file (semicolon
// separated, header on the first line) into the integer counters.
func readStats(path string) (map[string]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2 {
		return nil, fmt.Errorf("%s: %d lines, want a header and values", path, len(lines))
	}
	names := strings.Split(lines[0], ";")
	values := strings.Split(lines[len(lines)-1], ";")
	out := make(map[string]int)
	for i, n := range names {
		if i >= len(values) {
			break
		}
		if v, err := strconv.Atoi(strings.TrimSpace(values[i])); err == nil {
			out[strings.TrimSpace(n)] = v
		}
	}
	for _, k := range []string{"TotalCallCreated", "SuccessfulCall(C)", "FailedCall(C)"} {
		if _, ok := out[k]; !ok {
			return nil, fmt.Errorf("%s: no counter %s", path, k)
		}
	}
	return out, nil
}

func readLines(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// logged returns the second field of every log line starting with tag
// ("OK <Call-ID>", "REG <user>").
func logged(lines []string, tag string) []string {
	var out []string
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == tag {
			out = append(out, f[1])
		}
	}
	return out
}

// sippBackground is a SIPp running until the test ends (the UAS).
type sippBackground struct {
	proc *testproc.Proc
	res  sippResult
}

// startSIPp starts SIPp in the background; the test's cleanup ends it and
// checks that its port (-i, -p) is free again.
func startSIPp(t *testing.T, bin, dir, name string, args ...string) *sippBackground {
	t.Helper()
	cmd, screen, err := sippCmd(bin, dir, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("start: sipp %s", strings.Join(cmd.Args[1:], " "))
	proc := startProc(t, cmd, sippListen(args))
	_ = screen.Close() // SIPp has its own descriptor
	b := &sippBackground{proc: proc, res: sippResult{dir: dir, name: name}}
	// SIPp binds its socket right after start; give it a moment and make
	// sure it did not exit (port in use, bad scenario).
	select {
	case <-proc.Done():
		t.Fatalf("sipp %s exited at start: %v\n%s", name, proc.Wait(context.Background()), b.res.diagnostics())
	case <-time.After(700 * time.Millisecond):
	}
	return b
}

// sippListen returns the UDP address SIPp's arguments make it bind:
// "udp:<-i>:<-p>".
func sippListen(args []string) string {
	ip, port := "127.0.0.1", "5060"
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "-i":
			ip = args[i+1]
		case "-p":
			port = args[i+1]
		}
	}
	return "udp:" + net.JoinHostPort(ip, port)
}

// waitCalls polls the statistics SIPp dumps every second (-fd 1) until it
// has finished n calls (successful or failed) or timeout passes, and
// returns the last counters read.
func (b *sippBackground) waitCalls(n int, timeout time.Duration) (sippResult, error) {
	deadline := time.Now().Add(timeout)
	for {
		st, err := readStats(filepath.Join(b.res.dir, b.res.name+".csv"))
		res := b.res
		if err == nil {
			res.Created, res.Successful, res.Failed = st["TotalCallCreated"], st["SuccessfulCall(C)"], st["FailedCall(C)"]
			if res.Successful+res.Failed >= n {
				return res, nil
			}
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("sipp %s finished %d of %d calls in %v", b.res.name, res.Successful+res.Failed, n, timeout)
			}
			return res, err
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// writeInjection writes a SIPp injection file for users from..to: user;
// [authentication username=user password=pw<user>].
func writeInjection(t *testing.T, path string, users []int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("SEQUENTIAL\n")
	for _, u := range users {
		fmt.Fprintf(&b, "%d;[authentication username=%d password=pw%d];\n", u, u, u)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func userRange(from, to int) []int {
	out := make([]int, 0, to-from+1)
	for u := from; u <= to; u++ {
		out = append(out, u)
	}
	return out
}
