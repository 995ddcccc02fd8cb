package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pbxlab/internal/testproc"
	"pbxlab/pbx"
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
	proc   *testproc.Proc
	stderr string
	addr   string // UDP host:port
}

// startPBX runs `pbxlab serve --config cfg --listen udp:127.0.0.1:port
// --store store` and waits until it reports its listen address. The
// test's cleanup ends it and checks that its port is free again.
func startPBX(t *testing.T, cfgPath, store string, port int, logName string) *pbxProc {
	t.Helper()
	bin := os.Getenv(binEnv)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	logPath := filepath.Join(filepath.Dir(cfgPath), logName)
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close() // pbxlab has its own descriptor
	cmd := exec.Command(bin, "serve", "--config", cfgPath, "--listen", "udp:"+addr, "--store", store)
	cmd.Stderr = logf
	ready := &lineWatch{want: "listening on", seen: make(chan struct{})}
	cmd.Stdout = ready
	p := &pbxProc{t: t, proc: startProc(t, cmd, "udp:"+addr), stderr: logPath, addr: addr}
	select {
	case <-ready.seen:
	case <-p.proc.Done():
		t.Fatalf("pbxlab exited before listening: %v\n%s", p.proc.Wait(context.Background()), tail(logPath, 30))
	case <-time.After(30 * time.Second):
		t.Fatalf("pbxlab did not report listening within 30s\n%s", tail(logPath, 30))
	}
	return p
}

// lineWatch is an io.Writer that closes seen once a line holding want has
// been written, and discards everything.
type lineWatch struct {
	want string
	seen chan struct{}
	mu   sync.Mutex
	line []byte
	done bool
}

func (w *lineWatch) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return len(b), nil
	}
	w.line = append(w.line, b...)
	for {
		i := bytes.IndexByte(w.line, '\n')
		if i < 0 {
			return len(b), nil
		}
		if bytes.Contains(w.line[:i], []byte(w.want)) {
			w.done, w.line = true, nil
			close(w.seen)
			return len(b), nil
		}
		w.line = w.line[i+1:]
	}
}

// stop sends SIGTERM and requires a graceful exit with status 0.
func (p *pbxProc) stop() {
	p.t.Helper()
	if err := p.proc.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("SIGTERM pbxlab: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := p.proc.Wait(ctx)
	switch {
	case ctx.Err() != nil:
		p.t.Fatalf("pbxlab did not stop within 60s of SIGTERM\n%s", tail(p.stderr, 40))
	case err != nil:
		p.t.Fatalf("pbxlab exited with %v after SIGTERM, want status 0\n%s", err, tail(p.stderr, 40))
	}
}

// kill9 sends SIGKILL and waits for the process to be gone.
func (p *pbxProc) kill9() {
	p.t.Helper()
	if err := p.proc.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatalf("SIGKILL pbxlab: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.proc.Wait(ctx); ctx.Err() != nil {
		p.t.Fatalf("pbxlab still running 30s after SIGKILL: %v", err)
	}
}

// listCDRs runs `pbxlab cdr --store store --format json`.
// Decoding into the PBX's own record type checks the JSON keeps its shape.
func listCDRs(t *testing.T, store string) []pbx.CDR {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.Command(os.Getenv(binEnv), "cdr", "--store", store, "--format", "json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := testproc.Run(ctx, cmd); err != nil {
		t.Fatalf("pbxlab cdr: %v\n%s", err, stderr.String())
	}
	var recs []pbx.CDR
	if err := json.Unmarshal(stdout.Bytes(), &recs); err != nil {
		t.Fatalf("pbxlab cdr output is not a JSON array of records: %v\n%.2000s", err, stdout.Bytes())
	}
	return recs
}

// freePort returns a port that was free on ip for network ("udp", "tcp")
// a moment ago.
func freePort(t testing.TB, network, ip string) int {
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

// rtpPortRange is a range of 40 UDP ports for a peer's RTP (baresip's
// rtp_ports), below Linux's ephemeral range (32768-60999) so that the
// sockets other processes open meanwhile (a PBX's media, other tests'
// peers) do not take it between now and the call, and wider than the one
// RTP/RTCP pair the peer needs so that it can still find a free pair;
// the first pair is checked free now. 27100-27300 is left to baresip_test.
func rtpPortRange(t *testing.T) (first, last int) {
	t.Helper()
	for range 50 {
		first = 20000 + 2*rand.IntN(3500) // even, 20000-26998
		if first+39 >= 27100 {
			continue
		}
		a, err := net.ListenPacket("udp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(first)))
		if err != nil {
			continue
		}
		b, err := net.ListenPacket("udp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(first+1)))
		_ = a.Close()
		if err != nil {
			continue
		}
		_ = b.Close()
		return first, first + 39
	}
	t.Fatal("no free RTP port pair in 20000-27099")
	return 0, 0
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
