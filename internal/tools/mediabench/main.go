// Command mediabench measures anchored RTP (`make bench-media`, not a
// test): concurrent G.711 calls between simulated phones through pbxlab
// (`pbxlab serve` in its own process, SIP and anchored media), rising until
// the phones see loss >= 0.5 % or jitter 5 ms above the first level's; per
// level the PBX's CPU per relayed stream (one direction of one call), its
// RSS per call and the simulator's own CPU. Then the same streams relayed
// by rtpengine (userspace forwarding, driven by its ng protocol) for the
// comparison: "rtpengine ratio X.XX" is pbxlab's CPU per stream over
// rtpengine's at the highest level both carried.
//
// Everything runs on one machine: the simulator's media shares the cores
// with the server measured, and the table says how much it takes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"pbxlab/internal/sipstack"
)

type options struct {
	pbxlab, rtpengine string
	levels            []int
	settle, window    time.Duration
	maxLoss           float64
	maxJitter         time.Duration
	out               string
}

func main() {
	var o options
	var levels string
	flag.StringVar(&o.pbxlab, "pbxlab", "bin/pbxlab", "the pbxlab binary")
	flag.StringVar(&o.rtpengine, "rtpengine", "rtpengine", "the rtpengine binary (\"\" skips it)")
	flag.StringVar(&levels, "levels", "50,100,200,400,600,800,1000,1200,1400,1600,2000", "concurrent calls per step")
	flag.DurationVar(&o.settle, "settle", 3*time.Second, "wait after reaching a level before measuring")
	flag.DurationVar(&o.window, "window", 10*time.Second, "measurement window per level")
	flag.Float64Var(&o.maxLoss, "max-loss", 0.5, "stop at this packet loss, in %")
	flag.DurationVar(&o.maxJitter, "max-jitter", 5*time.Millisecond, "stop at this jitter above the first level's")
	flag.StringVar(&o.out, "out", "", "also write the results (markdown) here")
	flag.Parse()
	for _, f := range strings.Split(levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "mediabench: bad level %q\n", f)
			os.Exit(2)
		}
		o.levels = append(o.levels, n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "mediabench: %v\n", err)
		os.Exit(1)
	}
}

// result is one server's ramp.
type result struct {
	name    string
	levels  []level
	ceiling int
	stop    string
	idleRSS int64
}

func run(ctx context.Context, o options, w io.Writer) error {
	if err := sipstack.Setup(sipstack.Defaults()); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "mediabench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var report strings.Builder
	out := io.MultiWriter(w, &report)
	fmt.Fprintf(out, "# Anchored media: %d cores, levels %v, window %s\n\n", numCPU(), o.levels, o.window)
	pbx, err := benchPBX(ctx, o, dir, out)
	if err != nil {
		return err
	}
	var rte *result
	if o.rtpengine != "" {
		if bin, err := exec.LookPath(o.rtpengine); err != nil {
			fmt.Fprintf(out, "\nrtpengine: not found (%v): no comparison (Debian 12: apt-get install rtpengine-daemon)\n", err)
		} else if rte, err = benchRTPEngine(ctx, o, bin, dir, out); err != nil {
			return err
		}
	}
	summary(out, pbx, rte)
	if o.out != "" {
		return os.WriteFile(o.out, []byte(report.String()), 0o644)
	}
	return nil
}

func benchPBX(ctx context.Context, o options, dir string, w io.Writer) (*result, error) {
	sip := netip.MustParseAddrPort("127.0.0.1:25060")
	cfg, err := pbxConfig(dir, sip, o.levels[len(o.levels)-1])
	if err != nil {
		return nil, err
	}
	d, err := startDaemon("pbxlab", o.pbxlab, []string{"serve", "--config", cfg}, filepath.Join(dir, "pbxlab.log"))
	if err != nil {
		return nil, err
	}
	defer d.stop(15 * time.Second)
	if err := sleepCtx(ctx, time.Second); err != nil {
		return nil, err
	}
	ld, err := newPBXLoad(sip)
	if err != nil {
		return nil, err
	}
	defer ld.close()
	return ramp(ctx, o, "pbxlab", d, ld, w)
}

func benchRTPEngine(ctx context.Context, o options, bin, dir string, w io.Writer) (*result, error) {
	ngAddr := "127.0.0.1:22223"
	d, err := startDaemon("rtpengine", bin, []string{"--config-file=none", "--interface=127.0.0.1", "--listen-ng=" + ngAddr,
		"--port-min=40000", "--port-max=59999", "--table=-1", "--foreground", "--log-stderr", "--log-level=4",
		"--num-threads=" + strconv.Itoa(numCPU())}, filepath.Join(dir, "rtpengine.log"))
	if err != nil {
		return nil, err
	}
	defer d.stop(5 * time.Second)
	if err := sleepCtx(ctx, time.Second); err != nil {
		return nil, err
	}
	ng, err := dialNG(ngAddr)
	if err != nil {
		return nil, err
	}
	defer ng.close()
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := ng.do(pctx, map[string]any{"command": "ping"}); err != nil && !strings.Contains(err.Error(), "pong") {
		return nil, fmt.Errorf("rtpengine does not answer: %w", err)
	}
	ld := newRTELoad(ng, netip.MustParseAddr("127.0.0.1"))
	defer ld.close()
	return ramp(ctx, o, "rtpengine", d, ld, w)
}

// ramp raises the load level by level until a limit is hit.
func ramp(ctx context.Context, o options, name string, d *daemon, ld load, w io.Writer) (*result, error) {
	r := &result{name: name}
	var err error
	if r.idleRSS, err = rss(d.pid()); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "\n## %s (RSS idle %.1f MiB)\n\n", name, float64(r.idleRSS)/(1<<20))
	fmt.Fprintln(w, "| calls | streams | server CPU | CPU µs/s per stream | RSS MiB | RSS KiB/call | simulator CPU | loss % | jitter ms |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	var base time.Duration
	for i, n := range o.levels {
		if err := ld.grow(ctx, n); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			r.stop = fmt.Sprintf("set-up of %d calls failed: %v", n, err)
			break
		}
		if !d.alive() {
			return nil, fmt.Errorf("%s died", name)
		}
		l, err := measure(ctx, d.pid(), ld, n, o.settle, o.window)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			r.stop = err.Error()
			break
		}
		r.levels = append(r.levels, l)
		if i == 0 {
			base = l.jitter
		}
		fmt.Fprintf(w, "| %d | %d | %.0f %% | %.1f | %.1f | %.1f | %.0f %% | %.3f | %.2f |\n", l.calls, l.streams,
			100*l.serverCPU.Seconds()/l.window.Seconds(), l.cpuPerStream(), float64(l.rss)/(1<<20),
			float64(l.rss-r.idleRSS)/1024/float64(l.calls), 100*l.selfCPU.Seconds()/l.window.Seconds(),
			l.lossPct, float64(l.jitter.Microseconds())/1000)
		switch {
		case l.lossPct >= o.maxLoss:
			r.stop = fmt.Sprintf("loss %.2f %% at %d calls", l.lossPct, n)
		case l.jitter-base >= o.maxJitter:
			r.stop = fmt.Sprintf("jitter %s above the first level's at %d calls", (l.jitter - base).Round(time.Microsecond), n)
		default:
			r.ceiling = n
			continue
		}
		break
	}
	if r.stop == "" {
		r.stop = "the last level passed (the ceiling is higher)"
	}
	fmt.Fprintf(w, "\n%s stopped: %s\n", name, r.stop)
	return r, nil
}

// at returns r's level of n calls.
func (r *result) at(n int) (level, bool) {
	for _, l := range r.levels {
		if l.calls == n {
			return l, true
		}
	}
	return level{}, false
}

func summary(w io.Writer, pbx, rte *result) {
	fmt.Fprintln(w, "\n## Figures")
	fmt.Fprintln(w)
	top, ok := pbx.at(pbx.ceiling)
	fmt.Fprintf(w, "concurrent anchored calls %d\n", pbx.ceiling)
	if ok {
		fmt.Fprintf(w, "pbxlab CPU per relayed stream %.1f µs/s (%.3f %% of a core) at %d calls\n", top.cpuPerStream(), top.cpuPerStream()/1e4, top.calls)
		fmt.Fprintf(w, "pbxlab RSS per call %.1f KiB at %d calls\n", float64(top.rss-pbx.idleRSS)/1024/float64(top.calls), top.calls)
		fmt.Fprintf(w, "simulator CPU %.0f %% of the %d-core budget at %d calls (pbxlab %.0f %%)\n",
			100*top.selfCPU.Seconds()/top.window.Seconds()/float64(numCPU()), numCPU(), top.calls,
			100*top.serverCPU.Seconds()/top.window.Seconds()/float64(numCPU()))
	}
	if rte == nil {
		return
	}
	fmt.Fprintf(w, "rtpengine ceiling %d calls\n", rte.ceiling)
	common := min(pbx.ceiling, rte.ceiling)
	p, ok1 := pbx.at(common)
	r, ok2 := rte.at(common)
	if !ok1 || !ok2 {
		fmt.Fprintln(w, "rtpengine ratio n/a (no level carried by both)")
		return
	}
	fmt.Fprintf(w, "rtpengine CPU per relayed stream %.1f µs/s at %d calls\n", r.cpuPerStream(), common)
	fmt.Fprintf(w, "rtpengine ratio %.2f\n", p.cpuPerStream()/r.cpuPerStream())
}

func numCPU() int {
	b, err := os.ReadFile("/sys/fs/cgroup/cpu.max")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 && f[0] != "max" {
			q, err1 := strconv.Atoi(f[0])
			p, err2 := strconv.Atoi(f[1])
			if errors.Join(err1, err2) == nil && p > 0 {
				return max(1, q/p)
			}
		}
	}
	return runtimeNumCPU()
}
