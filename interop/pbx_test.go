package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"pbxlab/pbx"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pbxConfig is the per-test configuration, modelled on
// examples/interop-sipp.yaml: subscriber 2000 is the SIPp UAS at its
// static contact, the range has digest passwords pw{n}, 127.0.0.2 is the
// trusted SIPp UAC. Listen addresses and the store come from the command
// line.
type pbxConfig struct {
	UASPort   int
	RangeFrom int
	RangeTo   int
}

func (c pbxConfig) yaml() string {
	return fmt.Sprintf(`# written by the interop test
sip:
  listen: ["udp:127.0.0.1:0"]
  user_agent: "pbxlab-interop"
auth:
  realms:
    - name: pbxlab
      algorithms: [MD5, SHA-256]
registrar:
  min_expires: 60
  default_expires: 3600
  max_expires: 3600
call:
  no_answer_timeout: 30s
  shutdown_grace: 2s
log:
  level: info
subscribers:
  - number: "2000"
    contacts: ["sip:2000@127.0.0.1:%d"]
    display_name: "SIPp UAS"
subscriber_ranges:
  - from: "%d"
    to: "%d"
    password: "pw{n}"
trusted_peers:
  - name: sipp
    address: 127.0.0.2
`, c.UASPort, c.RangeFrom, c.RangeTo)
}

// pbxProc is a running `pbxlab serve`.
type pbxProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	done   chan error
	stderr string
	addr   string // UDP host:port
}

// startPBX runs `pbxlab serve --config cfg --listen udp:127.0.0.1:port
// --store store` and waits until it reports its listen address.
func startPBX(t *testing.T, cfgPath, store string, port int, logName string) *pbxProc {
	t.Helper()
	bin := os.Getenv(binEnv)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	logPath := filepath.Join(filepath.Dir(cfgPath), logName)
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", cfgPath, "--listen", "udp:"+addr, "--store", store)
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pbxlab: %v", err)
	}
	p := &pbxProc{t: t, cmd: cmd, done: make(chan error, 1), stderr: logPath, addr: addr}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		signalled := false
		for sc.Scan() {
			if !signalled && strings.Contains(sc.Text(), "listening on") {
				close(ready)
				signalled = true
			}
		}
		_, _ = io.Copy(io.Discard, out)
		p.done <- cmd.Wait()
		_ = logf.Close()
	}()
	t.Cleanup(func() { p.kill() })
	select {
	case <-ready:
	case err := <-p.done:
		p.done <- err
		t.Fatalf("pbxlab exited before listening: %v\n%s", err, tail(logPath, 30))
	case <-time.After(30 * time.Second):
		t.Fatalf("pbxlab did not report listening within 30s\n%s", tail(logPath, 30))
	}
	return p
}

// stop sends SIGTERM and requires a graceful exit with status 0.
func (p *pbxProc) stop() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("SIGTERM pbxlab: %v", err)
	}
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			p.t.Fatalf("pbxlab exited with %v after SIGTERM, want status 0\n%s", err, tail(p.stderr, 40))
		}
	case <-time.After(60 * time.Second):
		p.kill()
		p.t.Fatalf("pbxlab did not stop within 60s of SIGTERM\n%s", tail(p.stderr, 40))
	}
}

// kill9 sends SIGKILL and waits for the process to be gone.
func (p *pbxProc) kill9() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatalf("SIGKILL pbxlab: %v", err)
	}
	select {
	case err := <-p.done:
		p.done <- err
	case <-time.After(30 * time.Second):
		p.t.Fatal("pbxlab still running 30s after SIGKILL")
	}
}

// kill ends the process if it still runs (test cleanup).
func (p *pbxProc) kill() {
	select {
	case err := <-p.done:
		p.done <- err
	default:
		_ = p.cmd.Process.Kill()
		select {
		case err := <-p.done:
			p.done <- err
		case <-time.After(10 * time.Second):
		}
	}
}

// listCDRs runs `pbxlab cdr --store store --format json`.
// Decoding into the PBX's own record type checks the JSON keeps its shape.
func listCDRs(t *testing.T, store string) []pbx.CDR {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Getenv(binEnv), "cdr", "--store", store, "--format", "json")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pbxlab cdr: %v\n%s", err, stderr.String())
	}
	var recs []pbx.CDR
	if err := json.Unmarshal(out, &recs); err != nil {
		t.Fatalf("pbxlab cdr output is not a JSON array of records: %v\n%.2000s", err, out)
	}
	return recs
}

// freePort returns a port that was free on ip for network ("udp", "tcp")
// a moment ago.
func freePort(t *testing.T, network, ip string) int {
	t.Helper()
	switch network {
	case "udp":
		c, err := net.ListenPacket("udp4", net.JoinHostPort(ip, "0"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	default:
		l, err := net.Listen("tcp4", net.JoinHostPort(ip, "0"))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
}

// tail returns the last n lines of a file, for failure messages.
func tail(path string, n int) string {
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

// envInt reads a positive integer from the environment.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}
