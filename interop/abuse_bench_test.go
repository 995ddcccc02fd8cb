package interop

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pbxlab/sim/phone"
)

// BenchmarkBadInputUnderLoad is issue 14's "bad input under load": a
// `pbxlab serve` process serves legitimate phones (signalling-only calls
// between registered subscribers, at a steady rate) while the benchmark
// attacks it, then stops attacking and lets it recover. It reports, per
// attack, the legitimate calls placed and failed during the attack, their
// p99 set-up time, and the PBX's RSS before, at its peak and after
// (/proc/PID/status). Each sub-benchmark runs its whole scenario once
// whatever b.N is: run it with -benchtime=1x.
//
//	go test -run '^$' -bench BadInputUnderLoad -benchtime=1x ./interop/
//
// PBXLAB_ABUSE_SECS (default 20) is the attack's length;
// PBXLAB_ABUSE_SOURCE_RATE=N runs the PBX with sip.source_limits.rate N
// (per-source flood limit; off by default, as in the PBX; the legitimate
// phones' address is exempt); with
// PBXLAB_ABUSE_PROFILES=DIR, the PBX's heap and goroutine profiles 80 % into
// each attack are written there (ATTACK.heap.pprof). The attacks:
//
//   - register-flood: REGISTERs without credentials from 64 sources
//     (127.0.0.10-73) at 5,000/s, for subscribers and for numbers that do
//     not exist; each is answered (401) and nothing is stored.
//   - half-open-tcp: 2,000 TCP connections from 127.0.0.2 held open, half
//     silent, half having sent the start of a request and never its end.
//   - oversized: 60 KB UDP datagrams at 200/s (a REGISTER padded by a huge
//     header) and, over TCP, 10 connections/s each writing a request whose
//     header section is 2 MB, all from 127.0.0.9.
func BenchmarkBadInputUnderLoad(b *testing.B) {
	secs := 20
	if v, err := strconv.Atoi(os.Getenv("PBXLAB_ABUSE_SECS")); err == nil && v > 0 {
		secs = v
	}
	for _, a := range []struct {
		name string
		run  func(ctx context.Context, pbx abuseTarget, sent *atomic.Int64)
	}{
		{"register-flood", registerFlood},
		{"half-open-tcp", halfOpenTCP},
		{"oversized", oversized},
	} {
		b.Run(a.name, func(b *testing.B) {
			runAbuse(b, time.Duration(secs)*time.Second, a.run)
		})
	}
}

// abuseTarget is the PBX under attack.
type abuseTarget struct {
	udp, tcp string // host:port
}

const abuseYAML = `# written by BenchmarkBadInputUnderLoad
sip:
  user_agent: "pbxlab-abuse"
  source_limits: {rate: %d, exempt: ["127.0.0.1"]}  # the legitimate phones share 127.0.0.1, as an office behind one NAT address
auth:
  realms:
    - name: pbxlab
      algorithms: [MD5]
registrar:
  min_expires: 60
  default_expires: 3600
  max_expires: 3600
call:
  no_answer_timeout: 30s
  shutdown_grace: 2s
log:
  level: warn
admin:
  listen: "%s"
  pprof: true
subscriber_ranges:
  - from: "1000"
    to: "1999"
    password: "pw{n}"
`

func runAbuse(b *testing.B, attack time.Duration, abuse func(context.Context, abuseTarget, *atomic.Int64)) {
	dir := b.TempDir()
	cfg := filepath.Join(dir, "pbx.yaml")
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(b, "tcp", "127.0.0.1"))
	rate, _ := strconv.Atoi(os.Getenv("PBXLAB_ABUSE_SOURCE_RATE"))
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(abuseYAML, rate, admin)), 0o644); err != nil {
		b.Fatal(err)
	}
	tgt := abuseTarget{
		udp: fmt.Sprintf("127.0.0.1:%d", freePort(b, "udp", "127.0.0.1")),
		tcp: fmt.Sprintf("127.0.0.1:%d", freePort(b, "tcp", "127.0.0.1")),
	}
	logf, err := os.Create(filepath.Join(dir, "pbxlab.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(os.Getenv(binEnv), "serve", "--config", cfg, "--store", filepath.Join(dir, "pbx.db"),
		"--listen", "udp:"+tgt.udp, "--listen", "tcp:"+tgt.tcp)
	cmd.Stderr = logf
	ready := &lineWatch{want: "listening on", seen: make(chan struct{})}
	cmd.Stdout = ready
	proc := startProc(b, cmd, "udp:"+tgt.udp, "tcp:"+tgt.tcp)
	select {
	case <-ready.seen:
	case <-proc.Done():
		b.Fatalf("pbxlab exited before listening\n%s", tail(logf.Name(), 30))
	case <-time.After(30 * time.Second):
		b.Fatalf("pbxlab did not report listening within 30s\n%s", tail(logf.Name(), 30))
	}
	ctx, cancel := context.WithTimeout(context.Background(), attack+2*time.Minute)
	defer cancel()

	legit, err := newLegitLoad(ctx, tgt.udp, 20)
	if err != nil {
		b.Fatal(err)
	}
	defer legit.close()
	rss := &rssWatch{pid: proc.Pid()}
	lctx, lcancel := context.WithCancel(ctx)
	legit.cancel = lcancel
	go legit.run(lctx, 20) // calls/s
	time.Sleep(3 * time.Second)
	base := rss.sample()
	stopWatch := rss.watch(200 * time.Millisecond)

	legit.phase.Store(1)
	actx, acancel := context.WithTimeout(ctx, attack)
	var sent atomic.Int64
	if d := os.Getenv("PBXLAB_ABUSE_PROFILES"); d != "" {
		// the heap and goroutines at the height of the attack
		go func() {
			select {
			case <-actx.Done():
				return
			case <-time.After(attack * 8 / 10):
			}
			for _, p := range []string{"heap?gc=1", "goroutine"} {
				name, _, _ := strings.Cut(p, "?")
				fetch(b, "http://"+admin+"/debug/pprof/"+p, filepath.Join(d, b.Name()[strings.LastIndex(b.Name(), "/")+1:]+"."+name+".pprof"))
			}
		}()
	}
	cpu0, _ := proc.CPU()
	abuse(actx, tgt, &sent)
	acancel()
	cpu1, _ := proc.CPU()
	legit.phase.Store(2)
	time.Sleep(5 * time.Second) // recovery
	peak := stopWatch()
	after := rss.sample()
	legit.stop()
	select {
	case <-proc.Done():
		b.Fatalf("pbxlab died under the attack\n%s", tail(logf.Name(), 30))
	default:
	}
	during, after2 := legit.results(1), legit.results(2)
	b.ReportMetric(float64(sent.Load()), "attack_msgs")
	b.ReportMetric(float64(during.placed), "legit_calls")
	b.ReportMetric(float64(during.failed), "legit_failed")
	b.ReportMetric(float64(after2.failed), "legit_failed_after")
	b.ReportMetric(during.p99.Seconds()*1000, "setup_p99_ms")
	b.ReportMetric((cpu1-cpu0).Seconds()/attack.Seconds(), "pbx_cores")
	b.ReportMetric(float64(base)/(1<<20), "rss_base_MB")
	b.ReportMetric(float64(peak)/(1<<20), "rss_peak_MB")
	b.ReportMetric(float64(after)/(1<<20), "rss_after_MB")
	b.Logf("attack %s: %d messages/connections; legitimate calls during it %d, failed %d (first error: %v), p99 set-up %s; after it %d, failed %d; PBX CPU %.2f cores during it; PBX RSS %.1f MB before, %.1f MB peak, %.1f MB after",
		attack, sent.Load(), during.placed, during.failed, during.firstErr, during.p99, after2.placed, after2.failed, (cpu1-cpu0).Seconds()/attack.Seconds(),
		float64(base)/(1<<20), float64(peak)/(1<<20), float64(after)/(1<<20))
}

// fetch writes url's body to path, logging what fails.
func fetch(b *testing.B, url, path string) {
	res, err := (&http.Client{Timeout: time.Minute}).Get(url)
	if err != nil {
		b.Logf("profile: %v", err)
		return
	}
	defer res.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		b.Logf("profile: %v", err)
		return
	}
	defer f.Close()
	if _, err := io.Copy(f, res.Body); err != nil {
		b.Logf("profile: %v", err)
	}
}

// rssWatch samples a process's resident set.
type rssWatch struct{ pid int }

func (r *rssWatch) sample() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", r.pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// watch samples every d until the returned stop, which returns the peak.
func (r *rssWatch) watch(d time.Duration) (stop func() int64) {
	done := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		var p int64
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			p = max(p, r.sample())
			select {
			case <-done:
				peak <- p
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 { close(done); return <-peak }
}

// legitLoad is registered phones calling each other: each call answered at
// once, held 1 s, hung up by the caller; outcomes counted per phase.
type legitLoad struct {
	agent  *phone.Agent
	phones []*phone.Phone
	phase  atomic.Int32 // 0 before the attack, 1 during, 2 after
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	outs [3]legitResult
	sets [3][]time.Duration
}

type legitResult struct {
	placed, failed int
	firstErr       error
	p99            time.Duration
}

func newLegitLoad(ctx context.Context, target string, n int) (*legitLoad, error) {
	a, err := phone.NewAgent(phone.Config{Target: target, LocalIP: netip.MustParseAddr("127.0.0.1"), SignallingOnly: true})
	if err != nil {
		return nil, err
	}
	l := &legitLoad{agent: a}
	for i := range n {
		num := strconv.Itoa(1000 + i)
		p, err := a.NewPhone(phone.PhoneConfig{Number: num, Password: "pw" + num})
		if err != nil {
			a.Close()
			return nil, err
		}
		if reg, err := p.Register(ctx); err != nil || reg.Code != 200 {
			a.Close()
			return nil, fmt.Errorf("register %s: %d %w", num, reg.Code, err)
		}
		l.phones = append(l.phones, p)
	}
	return l, nil
}

// run places rate calls/s until ctx (whose cancel is l.cancel) ends.
func (l *legitLoad) run(ctx context.Context, rate int) {
	every(ctx, time.Second/time.Duration(rate), func(int) {
		i := rand.IntN(len(l.phones))
		j := (i + 1 + rand.IntN(len(l.phones)-1)) % len(l.phones)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.call(ctx, l.phones[i], l.phones[j].Number())
		}()
	})
}

// every calls f(0), f(1), … every d until ctx ends.
func every(ctx context.Context, d time.Duration, f func(n int)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		f(n)
	}
}

func (l *legitLoad) call(ctx context.Context, from *phone.Phone, to string) {
	ph := l.phase.Load()
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := from.Dial(cctx, to)
	if err == nil {
		err = c.WaitAnswer(cctx)
	}
	setup := time.Since(start)
	if err == nil {
		time.Sleep(time.Second)
		err = c.Hangup(cctx)
	}
	if ctx.Err() != nil { // stopped: not an outcome
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.outs[ph].placed++
	if err != nil {
		l.outs[ph].failed++
		if l.outs[ph].firstErr == nil {
			l.outs[ph].firstErr = err
		}
		return
	}
	l.sets[ph] = append(l.sets[ph], setup)
}

func (l *legitLoad) stop() {
	if l.cancel != nil {
		l.cancel()
	}
	l.wg.Wait()
}

func (l *legitLoad) close() { l.stop(); _ = l.agent.Close() }

func (l *legitLoad) results(ph int) legitResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.outs[ph]
	if s := slices.Clone(l.sets[ph]); len(s) > 0 {
		slices.Sort(s)
		r.p99 = s[min(len(s)-1, len(s)*99/100)]
	}
	return r
}

// registerFlood sends REGISTERs without credentials from 64 sources at
// 5,000/s: half for subscribers (each gets a 401 challenge), half for
// numbers that do not exist.
func registerFlood(ctx context.Context, tgt abuseTarget, sent *atomic.Int64) {
	const sources, rate = 64, 5000
	dst, _ := net.ResolveUDPAddr("udp4", tgt.udp)
	var wg sync.WaitGroup
	for s := range sources {
		src := fmt.Sprintf("127.0.0.%d", 10+s)
		c, err := net.ListenPacket("udp4", src+":0")
		if err != nil {
			continue
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		wg.Go(func() { drain(ctx, c) })
		wg.Go(func() {
			defer c.Close()
			every(ctx, time.Second*sources/rate, func(n int) {
				user := strconv.Itoa(1000 + rand.IntN(1000))
				if n%2 == 1 {
					user = strconv.Itoa(900000 + rand.IntN(100000))
				}
				msg := fmt.Sprintf("REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK-f%d-%d\r\nMax-Forwards: 70\r\n"+
					"From: <sip:%s@%s>;tag=f%d\r\nTo: <sip:%s@%s>\r\nCall-ID: flood-%d-%d@%s\r\nCSeq: 1 REGISTER\r\n"+
					"Contact: <sip:%s@%s:%d>\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n",
					tgt.udp, src, port, s, n, user, tgt.udp, n, user, tgt.udp, s, n, src, user, src, port)
				if _, err := c.WriteTo([]byte(msg), dst); err == nil {
					sent.Add(1)
				}
			})
		})
	}
	wg.Wait()
}

// drain reads and discards until ctx ends.
func drain(ctx context.Context, c net.PacketConn) {
	buf := make([]byte, 65535)
	for ctx.Err() == nil {
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		_, _, _ = c.ReadFrom(buf)
	}
}

// halfOpenTCP holds 2,000 connections from 127.0.0.2: even ones silent,
// odd ones having sent the first bytes of a request.
func halfOpenTCP(ctx context.Context, tgt abuseTarget, sent *atomic.Int64) {
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	// from an address of its own: the legitimate phones' 127.0.0.1 is
	// exempt from sip.source_limits in this bench
	d := net.Dialer{Timeout: 2 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	for i := range 2000 {
		if ctx.Err() != nil {
			break
		}
		c, err := d.DialContext(ctx, "tcp4", tgt.tcp)
		if err != nil {
			continue
		}
		conns = append(conns, c)
		sent.Add(1)
		if i%2 == 1 {
			_, _ = fmt.Fprintf(c, "INVITE sip:1001@%s SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bK-h%d\r\nCall-ID: half-%d\r\n", tgt.tcp, i, i)
		}
	}
	<-ctx.Done()
}

// oversized sends 60 KB UDP datagrams at 200/s and opens 10 TCP
// connections/s, each writing a request with a 2 MB header section, all
// from 127.0.0.9.
func oversized(ctx context.Context, tgt abuseTarget, sent *atomic.Int64) {
	dst, _ := net.ResolveUDPAddr("udp4", tgt.udp)
	pad := strings.Repeat("a", 60_000)
	big := strings.Repeat("b", 2<<20)
	var wg sync.WaitGroup
	c, err := net.ListenPacket("udp4", "127.0.0.9:0")
	if err != nil {
		return
	}
	wg.Go(func() { drain(ctx, c) })
	wg.Go(func() {
		defer c.Close()
		every(ctx, 5*time.Millisecond, func(n int) {
			msg := fmt.Sprintf("REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.9:9;branch=z9hG4bK-o%d\r\nMax-Forwards: 70\r\n"+
				"From: <sip:1001@%s>;tag=o%d\r\nTo: <sip:1001@%s>\r\nCall-ID: big-%d\r\nCSeq: 1 REGISTER\r\nX-Pad: %s\r\nContent-Length: 0\r\n\r\n",
				tgt.udp, n, tgt.udp, n, tgt.udp, n, pad)
			if _, err := c.WriteTo([]byte(msg), dst); err == nil {
				sent.Add(1)
			}
		})
	})
	wg.Go(func() {
		every(ctx, 100*time.Millisecond, func(n int) {
			wg.Go(func() {
				d := net.Dialer{Timeout: 2 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 9)}}
				tc, err := d.Dial("tcp4", tgt.tcp)
				if err != nil {
					return
				}
				defer tc.Close()
				_ = tc.SetWriteDeadline(time.Now().Add(5 * time.Second))
				if _, err := fmt.Fprintf(tc, "REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bK-t%d\r\nX-Pad: %s\r\n\r\n", tgt.tcp, n, big); err == nil {
					sent.Add(1)
				}
			})
		})
	})
	wg.Wait()
}
