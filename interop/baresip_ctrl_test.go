package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pbxlab/internal/testpeer"
	"pbxlab/internal/testproc"
	"pbxlab/pbx/pbxtest"
)

// baresipUA is a Debian baresip registered with the PBX and driven over
// its ctrl_tcp module: JSON commands in netstrings ({"command":"hold"}),
// the menu's long commands (hold, resume, transfer, dial, accept, hangup),
// answered by {"response":true,"ok":...}; its events (CALL_ESTABLISHED,
// CALL_CLOSED, TRANSFER ...) come on the same connection. baresip 1.0.0
// (Debian 12's baresip-core) has blind transfer (/transfer <uri>, REFER)
// but no attended transfer: no command for it and no Replaces support.
type baresipUA struct {
	t    *testing.T
	dir  string
	proc *testproc.Proc
	conn net.Conn

	mu     sync.Mutex
	events []map[string]any
	resp   chan map[string]any
	more   chan struct{} // closed and replaced when an event arrives
}

// startBaresipUA starts baresip as number (password pw<number>) against
// the PBX in, auto-answering, playing a baresipTone sine and recording
// what it decodes; it returns once baresip is registered.
func startBaresipUA(ctx context.Context, t *testing.T, in *pbxtest.Instance, number string) *baresipUA {
	t.Helper()
	bin := testpeer.Require(t, testpeer.Baresip)
	modules, err := baresipModules(bin, []string{"ausine.so", "g711.so", "aubridge.so", "sndfile.so", "account.so", "menu.so", "ctrl_tcp.so"})
	if err != nil {
		testpeer.Missing(t, testpeer.Baresip, err.Error())
	}
	dir := t.TempDir()
	bport, cport := freePort(t, "udp", "127.0.0.1"), freePort(t, "tcp", "127.0.0.1")
	rtpFirst, rtpLast := rtpPortRange(t)
	files := map[string]string{
		"config": strings.Join([]string{
			"poll_method epoll", fmt.Sprintf("sip_listen 127.0.0.1:%d", bport),
			"module_path " + modules, "module g711.so", "module ausine.so", "module aubridge.so", "module sndfile.so", "snd_path " + dir,
			"module_app account.so", "module_app menu.so", "module_app ctrl_tcp.so", fmt.Sprintf("ctrl_tcp_listen 127.0.0.1:%d", cport),
			fmt.Sprintf("audio_source ausine,%d", int(baresipTone)), "audio_player aubridge,pbxlab", "audio_alert aubridge,pbxlab",
			"ausrc_srate 48000", "auplay_srate 8000", "ausrc_channels 2", "auplay_channels 1",
			fmt.Sprintf("rtp_ports %d-%d", rtpFirst, rtpLast), "",
		}, "\n"),
		"accounts": fmt.Sprintf("<sip:%s@127.0.0.1;transport=udp>;auth_pass=pw%s;answermode=auto;regint=600;outbound=\"sip:%s;transport=udp\"\n", number, number, in.UDP),
		"contacts": "",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	logf, err := os.Create(filepath.Join(dir, "baresip.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = logf.Close() })
	cmd := exec.Command(bin, "-4", "-f", dir, "-t", "90")
	cmd.Stdout, cmd.Stderr = logf, logf
	b := &baresipUA{t: t, dir: dir, resp: make(chan map[string]any, 1), more: make(chan struct{})}
	b.proc = startProc(t, cmd, fmt.Sprintf("udp:127.0.0.1:%d", bport), fmt.Sprintf("tcp:127.0.0.1:%d", cport))
	for {
		if bs, err := in.Registrar().Lookup(ctx, number); err == nil && len(bs) > 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("baresip %s never registered:\n%s", number, b.Log())
		case <-time.After(100 * time.Millisecond):
		}
	}
	var d net.Dialer
	if b.conn, err = d.DialContext(ctx, "tcp", fmt.Sprintf("127.0.0.1:%d", cport)); err != nil {
		t.Fatalf("baresip ctrl_tcp: %v\n%s", err, b.Log())
	}
	t.Cleanup(func() { _ = b.conn.Close() })
	go b.read()
	return b
}

// Log is the end of baresip's output.
func (b *baresipUA) Log() string { return tail(filepath.Join(b.dir, "baresip.log"), 40) }

// Dir is baresip's configuration directory (its recordings are there).
func (b *baresipUA) Dir() string { return b.dir }

// read takes baresip's netstrings: responses to Command, events to Wait.
func (b *baresipUA) read() {
	r := bufio.NewReader(b.conn)
	for {
		n, err := r.ReadString(':')
		if err != nil {
			return
		}
		size, err := strconv.Atoi(strings.TrimSuffix(n, ":"))
		if err != nil || size < 0 || size > 1<<20 {
			return
		}
		buf := make([]byte, size+1) // the payload and its ','
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		var m map[string]any
		if err := json.Unmarshal(buf[:size], &m); err != nil {
			continue
		}
		if m["response"] == true {
			select {
			case b.resp <- m:
			default:
			}
			continue
		}
		b.mu.Lock()
		b.events = append(b.events, m)
		close(b.more)
		b.more = make(chan struct{})
		b.mu.Unlock()
	}
}

// errBaresip: baresip answered a command with ok false.
var errBaresip = errors.New("baresip refused the command")

// Command runs one of the menu's long commands (hold, resume, transfer
// sip:..., dial ..., hangup) and returns its output.
func (b *baresipUA) Command(ctx context.Context, command, params string) (string, error) {
	msg, err := json.Marshal(map[string]string{"command": command, "params": params, "token": command})
	if err != nil {
		return "", err
	}
	if _, err := fmt.Fprintf(b.conn, "%d:%s,", len(msg), msg); err != nil {
		return "", fmt.Errorf("baresip %s: %w", command, err)
	}
	select {
	case m := <-b.resp:
		data, _ := m["data"].(string)
		if m["ok"] != true {
			return data, fmt.Errorf("baresip %s %s: %w: %s", command, params, errBaresip, data)
		}
		return data, nil
	case <-ctx.Done():
		return "", fmt.Errorf("baresip %s: no response: %w", command, ctx.Err())
	}
}

// WaitEvent waits for an event of type typ (CALL_ESTABLISHED, CALL_CLOSED,
// TRANSFER ...) after the first from events; it returns the count of
// events seen so far, for the next wait.
func (b *baresipUA) WaitEvent(ctx context.Context, from int, typ string) (int, error) {
	for {
		b.mu.Lock()
		for i := from; i < len(b.events); i++ {
			if b.events[i]["type"] == typ {
				b.mu.Unlock()
				return i + 1, nil
			}
		}
		more := b.more
		from = len(b.events)
		b.mu.Unlock()
		select {
		case <-more:
		case <-ctx.Done():
			return from, fmt.Errorf("baresip: no %s event: %w", typ, ctx.Err())
		}
	}
}

// Events is how many events baresip sent so far.
func (b *baresipUA) Events() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.events)
}

// Count is how many events of type typ baresip sent after the first from.
func (b *baresipUA) Count(from int, typ string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for i := from; i < len(b.events); i++ {
		if b.events[i]["type"] == typ {
			n++
		}
	}
	return n
}
