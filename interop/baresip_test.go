package interop

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"pbxlab/internal/testpeer"
	"pbxlab/internal/testproc"
	"pbxlab/internal/tone"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// baresipTone is the frequency baresip's ausine source plays.
const baresipTone = 1000.0

// TestBaresipThroughPBX: a real softphone (Debian's baresip) registers with
// digest auth and auto-answers a call a simulated phone places through the
// PBX. Audio is proven both ways: the simulated phone detects baresip's
// 1000 Hz sine, and the WAV baresip recorded holds the simulated phone's
// tone. Debian 12's baresip gives up on a 401 that offers SHA-256 at all
// (even after MD5), so this realm offers MD5 only — what the per-realm
// algorithm list is for.
func TestBaresipThroughPBX(t *testing.T) {
	bin := testpeer.Require(t, testpeer.Baresip)
	// the modules the configuration below loads
	modules, err := baresipModules(bin, []string{"ausine.so", "g711.so", "aubridge.so", "sndfile.so", "account.so", "menu.so"})
	if err != nil {
		testpeer.Missing(t, testpeer.Baresip, err.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg, err := config.Parse("baresip.yaml", []byte(`
auth: {realms: [{name: pbxlab, algorithms: [MD5]}]}
subscriber_ranges: [{from: "1050", to: "1059", password: "pw{n}"}]
`))
	if err != nil {
		t.Fatal(err)
	}
	in, err := pbxtest.Start(cfg, pbxtest.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()

	dir := t.TempDir()
	bport := freePort(t, "udp", "127.0.0.1")
	files := map[string]string{
		"config": strings.Join([]string{
			"poll_method epoll", fmt.Sprintf("sip_listen 127.0.0.1:%d", bport),
			"module_path " + modules, "module g711.so", "module ausine.so", "module aubridge.so", "module sndfile.so", "snd_path " + dir,
			"module_app account.so", "module_app menu.so",
			fmt.Sprintf("audio_source ausine,%d", int(baresipTone)), "audio_player aubridge,pbxlab", "audio_alert aubridge,pbxlab",
			"ausrc_srate 48000", "auplay_srate 8000", "ausrc_channels 2", "auplay_channels 1", "rtp_ports 27100-27300", "",
		}, "\n"),
		"accounts": fmt.Sprintf("<sip:1050@127.0.0.1;transport=udp>;auth_pass=pw1050;answermode=auto;regint=600;outbound=\"sip:%s;transport=udp\"\n", in.UDP),
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
	defer logf.Close() // baresip has its own descriptor
	bs := exec.Command(bin, "-4", "-f", dir, "-t", "40")
	bs.Stdout, bs.Stderr = logf, logf
	proc := startProc(t, bs, fmt.Sprintf("udp:127.0.0.1:%d", bport))
	for {
		bs, err := in.Registrar().Lookup(ctx, "1050")
		if err == nil && len(bs) > 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("baresip never registered:\n%s", tail(filepath.Join(dir, "baresip.log"), 20))
		case <-time.After(100 * time.Millisecond):
		}
	}

	ag, err := phone.NewAgent(phone.Config{Target: in.Target()})
	if err != nil {
		t.Fatal(err)
	}
	defer ag.Close()
	p, err := ag.NewPhone(phone.PhoneConfig{Number: "1051", Password: "pw1051"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Register(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := p.Dial(ctx, "1050")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatalf("baresip did not answer: %v (code %d)\n%s", err, c.Code(), tail(filepath.Join(dir, "baresip.log"), 20))
	}
	c.ExpectTone(baresipTone)
	actx, acancel := context.WithTimeout(ctx, 5*time.Second)
	defer acancel()
	if _, err := c.TwoWayAudio(actx); err != nil {
		t.Errorf("the simulated phone does not hear baresip's %v Hz: %v", baresipTone, err)
	}
	time.Sleep(2 * time.Second) // let baresip record the far tone (the check below analyses its middle second)
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if end, err := c.Wait(ctx); err != nil || end.Code != 200 {
		t.Fatalf("call end %+v, %v", end, err)
	}
	// baresip quits on SIGINT, closing its recording
	if err := proc.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := proc.Wait(ctx); ctx.Err() != nil {
		t.Fatalf("baresip did not quit on SIGINT: %v\n%s", err, tail(filepath.Join(dir, "baresip.log"), 20))
	}
	// sndfile writes what baresip decoded as dump-<call>-dec.wav
	decoded, _ := filepath.Glob(filepath.Join(dir, "dump-*-dec.wav"))
	if len(decoded) != 1 {
		t.Fatalf("baresip's sndfile recordings: %v\n%s", decoded, tail(filepath.Join(dir, "baresip.log"), 20))
	}
	samples, rate := readWAV16(t, decoded[0])
	if len(samples) < 8000 {
		t.Fatalf("baresip recorded %d samples", len(samples))
	}
	// analyse the loudest second: the call's middle
	half := rate / 2
	if len(samples) < 2*half+2 {
		t.Fatalf("baresip recorded %d samples at %d Hz", len(samples), rate)
	}
	mid := samples[len(samples)/2-half : len(samples)/2+half]
	res := tone.NewDetector(tone.Config{Freqs: p.Identity().Freqs(), Rate: rate, Reject: []float64{baresipTone}}).Analyse(mid)
	if !res.Present {
		t.Errorf("baresip did not hear the simulated phone's identity %s: %+v", p.Identity(), res)
	}
}

// readWAV16 returns the 16-bit PCM samples and sample rate of a WAV file
// (mono, or the first channel of stereo).
func readWAV16(t *testing.T, path string) ([]int16, int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(b[:min(len(b), 512)]), "data")
	if i < 0 || len(b) < i+8 {
		t.Fatalf("%s: no data chunk", path)
	}
	if len(b) < 36 {
		t.Fatalf("%s: short header", path)
	}
	channels := int(binary.LittleEndian.Uint16(b[22:]))
	rate := int(binary.LittleEndian.Uint32(b[24:]))
	if channels < 1 {
		channels = 1
	}
	pcm := b[i+8:]
	out := make([]int16, len(pcm)/2/channels)
	for k := range out {
		out[k] = int16(binary.LittleEndian.Uint16(pcm[2*k*channels:]))
	}
	return out, rate
}

// baresipModules finds the directory of baresip's modules that holds every
// one of names: where the Debian package put them (dpkg -L baresip-core),
// else the usual library directories, else next to the binary.
func baresipModules(bin string, names []string) (string, error) {
	var candidates []string
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	dpkg := exec.Command("dpkg", "-L", testpeer.Package(testpeer.Baresip))
	dpkg.Stdout = &out
	if err := testproc.Run(ctx, dpkg); err == nil {
		for l := range strings.SplitSeq(out.String(), "\n") {
			if strings.HasSuffix(l, "/"+names[0]) {
				candidates = append(candidates, filepath.Dir(l))
			}
		}
	}
	multiarch, _ := filepath.Glob("/usr/lib/*/baresip/modules")
	candidates = append(candidates, multiarch...)
	candidates = append(candidates, "/usr/lib/baresip/modules", "/usr/lib64/baresip/modules",
		"/usr/local/lib/baresip/modules", filepath.Join(filepath.Dir(filepath.Dir(bin)), "lib", "baresip", "modules"))
	for _, dir := range candidates {
		if hasAll(dir, names) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("no directory of baresip modules holds %s (looked in dpkg -L %s and %s)",
		strings.Join(names, ", "), testpeer.Package(testpeer.Baresip), strings.Join(candidates, ", "))
}

func hasAll(dir string, names []string) bool {
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			return false
		}
	}
	return true
}

// A module directory that cannot be found is an error that says where it
// looked (the test then skips, or fails under CI, naming baresip).
func TestBaresipModulesNotFound(t *testing.T) {
	_, err := baresipModules("/nonexistent/bin/baresip", []string{"pbxlab-no-such-module.so"})
	if err == nil || !strings.Contains(err.Error(), "pbxlab-no-such-module.so") || !strings.Contains(err.Error(), "/usr/lib/baresip/modules") {
		t.Fatalf("err = %v, want one naming the module and the directories searched", err)
	}
}
