package interop

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pbxlab/internal/testpeer"
	"pbxlab/internal/testproc"
)

// linphoneTone is the frequency of the WAV file linphone plays as its
// microphone (a test tone outside the simulated phones' identity tables).
const linphoneTone = 1000.0

// linphoneConfig is what a linphonec under test is set up with.
type linphoneConfig struct {
	Number, Password string
	// Proxy is the PBX's address, host:port; Transport "udp" or "tcp".
	Proxy, Transport string
	// AutoAnswer answers incoming calls at once (linphonec -a).
	AutoAnswer bool
}

// linphone is a linphonec (Debian's linphone-cli) driven on its standard
// input, with everything it writes (configuration, database, ZRTP cache,
// recordings) under a test's temporary directory: HOME and the XDG
// directories point there, so nothing of the host's setup is read or
// changed. It plays a WAV file of linphoneTone instead of a sound card
// ("soundcard use files") and records what it receives (RecordTo).
type linphone struct {
	t     *testing.T
	dir   string
	Port  int // its SIP port
	proc  *testproc.Proc
	stdin io.WriteCloser

	mu    sync.Mutex
	lines []string
	more  chan struct{} // closed and replaced when a line arrives
	eof   bool
}

// startLinphone writes linphonec's configuration for cfg and starts it;
// the test's cleanup ends it (testproc) and checks its port is free.
func startLinphone(t *testing.T, cfg linphoneConfig) *linphone {
	t.Helper()
	bin := testpeer.Require(t, testpeer.Linphone)
	dir := t.TempDir()
	network := cfg.Transport
	if network == "" {
		network = "udp"
	}
	l := &linphone{t: t, dir: dir, Port: freePort(t, network, "127.0.0.1"), more: make(chan struct{})}
	// liblinphone stays in its Startup state (no SIP socket, no REGISTER)
	// unless it can create its database under $HOME/.local/share/linphone
	if err := os.MkdirAll(filepath.Join(dir, ".local", "share", "linphone"), 0o700); err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(dir, "linphonerc")
	if err := os.WriteFile(rc, []byte(linphoneRC(cfg, l.Port, freePort(t, "udp", "127.0.0.1"))), 0o600); err != nil {
		t.Fatal(err)
	}
	play := filepath.Join(dir, "tone.wav")
	writeToneWAV(t, play, linphoneTone, 8000, 30*time.Second)

	args := []string{"-c", rc, "-d", "6", "-l", filepath.Join(dir, "linphone.log")}
	if cfg.AutoAnswer {
		args = append(args, "-a")
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, ".config"),
		"XDG_DATA_HOME="+filepath.Join(dir, ".local", "share"), "XDG_CACHE_HOME="+filepath.Join(dir, ".cache"),
		"XDG_RUNTIME_DIR="+dir, "PULSE_RUNTIME_PATH="+dir, "TMPDIR="+dir)
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, outW
	l.proc = startProc(t, cmd, fmt.Sprintf("%s:127.0.0.1:%d", network, l.Port))
	_ = inR.Close()
	_ = outW.Close()
	l.stdin = inW
	t.Cleanup(func() { _ = inW.Close() })
	go l.read(outR)
	l.Command("soundcard use files")
	l.Command("play " + play)
	return l
}

// RecordTo makes linphone record the far end of its next calls to name in
// its directory, and returns the file's path.
func (l *linphone) RecordTo(name string) string {
	l.t.Helper()
	path := filepath.Join(l.dir, name)
	l.Command("record " + path)
	return path
}

// linphoneRC is a linphonerc that registers cfg.Number at cfg.Proxy with
// only PCMU and PCMA enabled, SIP on port (cfg.Transport only), RTP on
// rtpPort and no IPv6, video, ICE or encryption.
func linphoneRC(cfg linphoneConfig, port, rtpPort int) string {
	udp, tcp := port, 0
	if cfg.Transport == "tcp" {
		udp, tcp = 0, port
	}
	transport := cfg.Transport
	if transport == "" {
		transport = "udp"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[sip]\nsip_port=%d\nsip_tcp_port=%d\nsip_tls_port=0\nipv6=0\nuse_ipv6=0\ndefault_proxy=0\n", udp, tcp)
	fmt.Fprintf(&b, "guess_hostname=0\ncontact=sip:%s@127.0.0.1\nregister_only_when_network_is_up=0\nmedia_encryption=none\n", cfg.Number)
	fmt.Fprintf(&b, "inc_timeout=30\nuser_agent=linphonec-pbxlab-interop\n\n")
	fmt.Fprintf(&b, "[net]\nfirewall_policy=0\nmtu=1300\n\n")
	fmt.Fprintf(&b, "[rtp]\naudio_rtp_port=%d\naudio_jitt_comp=60\nnortp_timeout=30\n\n", rtpPort)
	fmt.Fprintf(&b, "[sound]\nechocancellation=0\n\n[misc]\nadd_missing_audio_codecs=0\nadd_missing_video_codecs=0\n\n")
	fmt.Fprintf(&b, "[video]\ncapture=0\ndisplay=0\nautomatically_initiate=0\nautomatically_accept=0\n\n")
	fmt.Fprintf(&b, "[proxy_0]\nreg_proxy=<sip:%s;transport=%s>\nreg_identity=sip:%s@127.0.0.1\n", cfg.Proxy, transport, cfg.Number)
	fmt.Fprintf(&b, "reg_route=<sip:%s;transport=%s;lr>\nreg_expires=600\nreg_sendregister=1\npublish=0\ndial_escape_plus=0\n\n", cfg.Proxy, transport)
	fmt.Fprintf(&b, "[auth_info_0]\nusername=%s\npasswd=%s\ndomain=127.0.0.1\n\n", cfg.Number, cfg.Password)
	codecs := []struct {
		mime    string
		rate    int
		channel int
		on      bool
	}{{"PCMU", 8000, 1, true}, {"PCMA", 8000, 1, true}, {"opus", 48000, 2, false}, {"speex", 16000, 1, false},
		{"speex", 8000, 1, false}, {"speex", 32000, 1, false}, {"GSM", 8000, 1, false}, {"G722", 8000, 1, false},
		{"G729", 8000, 1, false}}
	for i, c := range codecs {
		on := 0
		if c.on {
			on = 1
		}
		fmt.Fprintf(&b, "[audio_codec_%d]\nmime=%s\nrate=%d\nchannels=%d\nenabled=%d\n\n", i, c.mime, c.rate, c.channel, on)
	}
	return b.String()
}

// read keeps what linphonec prints, line by line.
func (l *linphone) read(r io.ReadCloser) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l.mu.Lock()
		l.lines = append(l.lines, sc.Text())
		close(l.more)
		l.more = make(chan struct{})
		l.mu.Unlock()
	}
	l.mu.Lock()
	l.eof = true
	close(l.more)
	l.more = make(chan struct{})
	l.mu.Unlock()
}

// Command sends one line to linphonec's prompt.
func (l *linphone) Command(line string) {
	l.t.Helper()
	if _, err := io.WriteString(l.stdin, line+"\n"); err != nil {
		l.t.Fatalf("linphonec %q: %v", line, err)
	}
}

// Wait waits for a line of linphonec's output, from line from on, that
// contains want, and returns its index.
func (l *linphone) Wait(ctx context.Context, from int, want string) (int, error) {
	for {
		l.mu.Lock()
		for i := from; i < len(l.lines); i++ {
			if strings.Contains(l.lines[i], want) {
				l.mu.Unlock()
				return i, nil
			}
		}
		more, eof := l.more, l.eof
		l.mu.Unlock()
		if eof {
			return -1, fmt.Errorf("linphonec exited before printing %q", want)
		}
		select {
		case <-more:
		case <-ctx.Done():
			return -1, fmt.Errorf("linphonec never printed %q: %w", want, ctx.Err())
		}
	}
}

// Lines is how many lines linphonec printed so far.
func (l *linphone) Lines() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

// Output is the end of what linphonec printed and of its log, for a
// failure message.
func (l *linphone) Output() string {
	l.mu.Lock()
	lines := l.lines[max(0, len(l.lines)-30):]
	out := "--- linphonec output ---\n" + strings.Join(lines, "\n")
	l.mu.Unlock()
	return out + "\n" + tail(filepath.Join(l.dir, "linphone.log"), 40)
}

// Log is linphone's log file (liblinphone and belle-sip at debug level).
func (l *linphone) Log() string {
	b, _ := os.ReadFile(filepath.Join(l.dir, "linphone.log"))
	return string(b)
}

// Quit ends linphonec with its quit command (it finishes its recording
// and unregisters) and waits for it, else fails the test.
func (l *linphone) Quit(ctx context.Context) {
	l.t.Helper()
	l.Command("quit")
	_ = l.stdin.Close()
	if err := l.proc.Wait(ctx); ctx.Err() != nil {
		_ = l.proc.Signal(syscall.SIGTERM)
		l.t.Fatalf("linphonec did not quit: %v\n%s", err, l.Output())
	}
}

// writeToneWAV writes d of a sine of freq Hz at rate, 16-bit mono PCM, at
// half of full scale.
func writeToneWAV(t *testing.T, path string, freq float64, rate int, d time.Duration) {
	t.Helper()
	n := int(d.Seconds() * float64(rate))
	pcm := make([]byte, 2*n)
	for i := range n {
		v := 0.5 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))
		binary.LittleEndian.PutUint16(pcm[2*i:], uint16(int16(v*math.MaxInt16)))
	}
	h := make([]byte, 44)
	copy(h, "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+len(pcm)))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], 1) // mono
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(2*rate))
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(len(pcm)))
	if err := os.WriteFile(path, append(h, pcm...), 0o644); err != nil {
		t.Fatal(err)
	}
}
