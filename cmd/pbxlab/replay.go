package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sync"
	"time"

	"pbxlab/internal/pcapio"
	"pbxlab/internal/replay"
)

// errReplayDiverged: pbxlab replay found a dialog that differs (exit 1).
var errReplayDiverged = errors.New("the target behaves differently from the capture")

// exitError carries a subcommand's own exit code.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

// cmdReplay replays a capture against a live PBX: exit 0 when every
// dialog is equivalent, 1 when one diverges, 2 on error.
func cmdReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	err := replayMain(ctx, args, stdout, stderr)
	if err == nil || errors.Is(err, errReplayDiverged) || errors.Is(err, flag.ErrHelp) || errors.Is(err, errUsage) {
		return err
	}
	return exitError{2, err}
}

func replayMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("target", "", "the live PBX, host:port (every packet goes there and nowhere else)")
	sut := fs.String("sut", "", "address:port of the system under test in the capture (default: flow's guess)")
	pace := fs.String("pace", "original", "original (captured delays), fast (as soon as the causes arrived) or xN (N times faster)")
	creds := fs.String("credentials", "", "YAML file of user: password to answer the target's digest challenges")
	timeout := fs.Duration("timeout", replay.DefaultTimeout, "how long to wait for each expected message")
	rtp := fs.Bool("rtp", false, "also send the parties' captured RTP to the media addresses the target's SDP names (its host only)")
	html := fs.String("html", "", "write the verdicts and side-by-side ladders (capture | live) to this HTML file")
	capture := fs.String("capture", "", "write the live exchange to this pcapng file")
	verbose := fs.Bool("v", false, "log the replay's progress")
	def := replay.DefaultWindow()
	window := fs.Int("window", def.Dialogs, "dialogs (Call-IDs) per window: the capture streams in and each window is run, compared and dropped in turn")
	lookahead := fs.Int("lookahead", def.Lookahead, "messages read past a full window to take its dialogs' later messages")
	idle := fs.Int("idle-parties", def.Parties, "parties' connections kept open once idle (a party used again keeps its address)")
	verdicts := fs.Int("verdicts", def.Verdicts, "verdicts listed, of each kind (equivalent, divergent); the others are counted")
	limit := fs.Int("limit", 0, "replay the capture's first N dialogs only (0: all)")
	memProfile := fs.String("memprofile", "", "write a heap profile (after a GC) to this file, --memprofile-after the start")
	memProfileAfter := fs.Duration("memprofile-after", 30*time.Second, "when --memprofile is taken")
	memStats := fs.Bool("mem-stats", false, "print the replay's peak Go heap (sampled every 100 ms) to stderr")
	tol := addToleranceFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pbxlab replay FILE.pcap[ng] --target HOST:PORT [--sut ADDR:PORT] [--pace original|fast|xN] [--credentials FILE] [--timeout 5s] [--rtp] [--html OUT.html] [--capture OUT.pcapng] [--ignore-methods M,..] [--ignore-attrs A,..] [--status-class] [--window N] [--lookahead N] [--limit N] [--mem-stats]")
		fs.PrintDefaults()
	}
	var files []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		files, rest = append(files, fs.Arg(0)), fs.Args()[1:]
	}
	if len(files) != 1 {
		return fmt.Errorf("want one capture file: %w", errUsage)
	}
	if *target == "" {
		return fmt.Errorf("--target is required: %w", errUsage)
	}
	if *window < 1 || *lookahead < 1 || *idle < 1 || *verdicts < 1 || *limit < 0 {
		return fmt.Errorf("--window, --lookahead, --idle-parties and --verdicts must be positive, --limit not negative: %w", errUsage)
	}
	cfg := replay.Config{Capture: files[0], Target: *target, Timeout: *timeout, RTP: *rtp, Tolerances: tol.options(),
		Window: replay.Windowing{Dialogs: *window, Lookahead: *lookahead, Parties: *idle, Verdicts: *verdicts, Limit: *limit}}
	var err error
	if cfg.Pace, err = replay.ParsePace(*pace); err != nil {
		return fmt.Errorf("--pace: %v: %w", err, errUsage)
	}
	if *sut != "" {
		if cfg.SUT, err = netip.ParseAddrPort(*sut); err != nil {
			return fmt.Errorf("--sut %q: %v: %w", *sut, err, errUsage)
		}
	}
	if *creds != "" {
		if cfg.Credentials, err = replay.ReadCredentials(*creds); err != nil {
			return err
		}
	}
	opts := []replay.Option{replay.WithLogger(newLogger(stderr, slogLevel(*verbose), "text"))}
	var w *pcapio.Writer
	if *capture != "" {
		if w, err = pcapio.Create(*capture); err != nil {
			return err
		}
		opts = append(opts, replay.WithCapture(w))
	}
	var peak func() (uint64, uint64)
	if *memStats {
		var stop func()
		peak, stop = sampleHeap(100 * time.Millisecond)
		defer stop()
	}
	if *memProfile != "" {
		t := time.AfterFunc(*memProfileAfter, func() {
			if err := writeHeapProfile(*memProfile); err != nil {
				fmt.Fprintln(stderr, err)
			}
		})
		defer t.Stop()
	}
	rep, err := runReplay(ctx, cfg, opts)
	if peak != nil {
		obj, live := peak()
		fmt.Fprintf(stderr, "replay memory: peak heap %.1f MiB (objects, live and not yet swept), peak live heap %.1f MiB (as the GC marked it); sampled every 100 ms\n",
			float64(obj)/(1<<20), float64(live)/(1<<20))
	}
	if w != nil {
		if cerr := w.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("replay capture: %w", cerr)
		}
	}
	if err != nil {
		return err
	}
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	if *html != "" {
		if err := writeReplayHTML(*html, rep); err != nil {
			return err
		}
	}
	if !rep.Equivalent() {
		return fmt.Errorf("%d of %d dialogs: %w", rep.Divergent(), rep.Dialogs(), errReplayDiverged)
	}
	return nil
}

func runReplay(ctx context.Context, cfg replay.Config, opts []replay.Option) (*replay.Report, error) {
	r, err := replay.New(cfg, opts...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 24*time.Hour)
	defer cancel()
	return r.Run(ctx)
}

func writeReplayHTML(path string, rep *replay.Report) error {
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("replay html: %w", err)
	}
	err = rep.WriteHTML(out)
	if cerr := out.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("replay html: %w", cerr)
	}
	return err
}

// sampleHeap samples the heap every d: peak returns the most of the
// heap's objects (live and not yet swept) and of the live heap (as the
// last GC marked it) so far; stop ends the sampling.
func sampleHeap(d time.Duration) (peak func() (objects, live uint64), stop func()) {
	var mu sync.Mutex
	var hiObj, hiLive uint64
	read := func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
		metrics.Read(s)
		mu.Lock()
		defer mu.Unlock()
		if s[0].Value.Kind() == metrics.KindUint64 {
			hiObj = max(hiObj, s[0].Value.Uint64())
		}
		if s[1].Value.Kind() == metrics.KindUint64 {
			hiLive = max(hiLive, s[1].Value.Uint64())
		}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				read()
			case <-done:
				return
			}
		}
	}()
	peak = func() (uint64, uint64) {
		read()
		mu.Lock()
		defer mu.Unlock()
		return hiObj, hiLive
	}
	var once sync.Once
	stop = func() { once.Do(func() { close(done); <-finished }) }
	return peak, stop
}

// writeHeapProfile writes the heap in use, after a GC, to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("replay memprofile: %w", err)
	}
	runtime.GC()
	err = pprof.WriteHeapProfile(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("replay memprofile: %w", err)
	}
	return nil
}
