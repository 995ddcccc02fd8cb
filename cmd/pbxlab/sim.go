package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"pbxlab/internal/pcapio"
	"pbxlab/internal/sipstack"
	"pbxlab/sim"
	"pbxlab/sim/report"
	"pbxlab/sim/scenario"
)

func cmdSim(ctx context.Context, args []string, stdout, stderr io.Writer, setup processSetup) error {
	if len(args) > 0 && args[0] == "merge" {
		return cmdSimMerge(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("target", "127.0.0.1:5060", "the PBX to drive, host:port (any SIP PBX that has the subscribers)")
	transport := fs.String("transport", "", "udp or tcp (default: the scenario's)")
	domain := fs.String("domain", "", "SIP domain of the phones' AORs (default: the target host)")
	capture := fs.String("capture", "", "write the phones' SIP and RTP to this pcapng file")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	verbose := fs.Bool("v", false, "log at debug level")
	seed := fs.Int64("seed", 0, "draw the call plan from this seed instead of the scenario's")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	memProfile := fs.String("memprofile", "", "once every phone has registered: print the heap after GC and RSS per phone on stderr and write a heap profile to this file")
	planN := fs.Int("plan", 0, "print the first N calls of the plan (who calls whom, when, hold, media) and exit without sending")
	shardFlag := fs.String("shard", "", "run shard i/n of the scenario (0 <= i < n): register phones [i*count/n, (i+1)*count/n) and place the plan's calls of those callers; merge the --report files with 'pbxlab sim merge'")
	startAfter := fs.Duration("start-after", 0, "start placing calls this long after the process started (registration included): shards started together then call one another's registered phones")
	startAt := fs.String("start-at", "", "start placing calls at this time (RFC 3339), once registered")
	tick := fs.Duration("timer-tick", sim.DefaultTimerTick, "start calls and end signalling-only holds on this grid, so calls due within one tick go out together (0: every instant exact)")
	adaptProcs := fs.Bool("adaptive-procs", true, "run on one Go processor while the load fits one core, on all of them when it does not (ignored when $GOMAXPROCS is set)")
	output := addSimOutputFlags(fs)
	// flags may follow the scenario file: pbxlab sim FILE --target ...
	var file string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	}
	if file == "" {
		return fmt.Errorf("pbxlab sim SCENARIO.yaml --target HOST:PORT: %w", errUsage)
	}
	sc, err := scenario.Load(file)
	if err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "seed" {
			sc.Seed = *seed
		}
	})
	if *planN > 0 {
		return printCallPlan(stdout, sc, *planN)
	}
	if err := output.check(); err != nil {
		return err
	}
	log := newLogger(stderr, slogLevel(*verbose), "text")
	// The same settings as the sim tests (their TestMain): the defaults.
	st := sipstack.Defaults()
	st.Logger = log
	if err := setup.sip(st); err != nil {
		return err
	}
	ctx, stop := context.WithCancel(ctx)
	_, procsDone := setup.adaptiveProcs(ctx, *adaptProcs, log)
	defer func() { stop(); procsDone() }() // the controller ends with the command, GOMAXPROCS restored
	prof := &simProfile{cpuFile: *cpuProfile, memFile: *memProfile, stderr: stderr}
	if err := prof.start(); err != nil {
		return err
	}
	defer prof.stop()
	if *tick < 0 {
		return fmt.Errorf("pbxlab sim: --timer-tick %s: %w", *tick, errUsage)
	}
	opts := []sim.Option{sim.WithLogger(log), sim.WithRegistered(prof.registered), sim.WithTimerTick(*tick)}
	if *shardFlag != "" {
		sh, err := scenario.ParseShard(*shardFlag)
		if err != nil {
			return fmt.Errorf("--shard: %w", err)
		}
		opts = append(opts, sim.WithShard(sh.Index, sh.Count))
	}
	switch {
	case *startAt != "" && *startAfter != 0:
		return fmt.Errorf("--start-at and --start-after: %w: one or the other", errUsage)
	case *startAt != "":
		t, err := time.Parse(time.RFC3339, *startAt)
		if err != nil {
			return fmt.Errorf("--start-at: %w", err)
		}
		opts = append(opts, sim.WithStartAt(t))
	case *startAfter != 0:
		opts = append(opts, sim.WithStartAt(time.Now().Add(*startAfter)))
	}
	capturePath := *capture
	if capturePath == "" && output.wantsCapture() {
		// the HTML report's ladders come from a capture of the run
		f, err := os.CreateTemp("", "pbxlab-sim-*.pcapng")
		if err != nil {
			return err
		}
		capturePath = f.Name()
		_ = f.Close()
		defer os.Remove(capturePath)
	}
	var cw *pcapio.Writer
	if capturePath != "" {
		w, err := pcapio.Create(capturePath)
		if err != nil {
			return err
		}
		defer w.Close()
		cw = w
		opts = append(opts, sim.WithCapture(w))
	}
	outOpts, err := output.start(ctx, stderr, sc)
	if err != nil {
		return err
	}
	opts = append(opts, outOpts...)
	tr := *transport
	if tr == "" {
		tr = sc.Population.Transport
	}
	rep, err := sim.Run(ctx, sc, sim.Target{Addr: *target, Transport: tr, Domain: *domain}, opts...)
	if cerr := cw.Close(); cerr != nil {
		capturePath = ""
	}
	if werr := output.finish(rep, ladderSource(capturePath)); werr != nil {
		err = errors.Join(err, werr)
	}
	if rep != nil {
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			_ = enc.Encode(rep)
		} else {
			_ = rep.Text(stdout)
		}
	}
	if err != nil {
		return err
	}
	return simVerdict(rep)
}

// simVerdict fails the run when one of the scenario's thresholds failed.
// A scenario without thresholds fails when something a healthy PBX would
// not cause happened: failed registrations, unexpected call outcomes,
// unverified audio. (Thresholds replace that verdict: "audio_ok > 0.99"
// tolerates one call in a hundred.)
func simVerdict(r *report.Report) error {
	if r.Ceiling != nil {
		return ceilingVerdict(r.Ceiling)
	}
	if len(r.Thresholds) > 0 {
		if failed := r.FailedThresholds(); len(failed) > 0 {
			return fmt.Errorf("%d of %d thresholds failed: %s", len(failed), len(r.Thresholds), strings.Join(failed, "; "))
		}
		return nil
	}
	switch {
	case r.Registrations.Failed > 0:
		return fmt.Errorf("%d registrations failed", r.Registrations.Failed)
	case r.Calls.Unexpected > 0:
		return fmt.Errorf("%d calls ended otherwise than their callee was told to", r.Calls.Unexpected)
	case r.Audio.Checked > r.Audio.Verified:
		return fmt.Errorf("two-way audio verified on %d of %d answered calls", r.Audio.Verified, r.Audio.Checked)
	}
	return nil
}

// ceilingVerdict: a ceiling search succeeds (exit 0) when it measured a
// ceiling, below calls.ceiling.max (a step broke) or at it (none did):
// finding where the target breaks is the point of the run, not a failure.
// It fails when even the start rate broke (no ceiling at or above it) or
// when the confirmation re-run of the ceiling rate broke (the figure does
// not hold).
func ceilingVerdict(c *report.Ceiling) error {
	switch {
	case c.CallsPerS == 0 && c.BrokenAt > 0:
		return fmt.Errorf("no ceiling: the first step, %s calls/s, broke %s", report.Rate(c.BrokenAt), strings.Join(c.Broken, "; "))
	case c.Confirmed != nil && !*c.Confirmed:
		return fmt.Errorf("ceiling %s calls/s not confirmed: its re-run broke a threshold", report.Rate(c.CallsPerS))
	}
	return nil
}

// printCallPlan writes the first n calls of the scenario's plan, one a line:
// the same seed prints the same plan.
func printCallPlan(w io.Writer, sc *scenario.Scenario, n int) error {
	p := scenario.NewPlan(sc, sc.Seed)
	c := sc.Calls
	rate := fmt.Sprintf("%.3g", c.Rate)
	if c.Shape == scenario.ShapeCeiling { // the staircase, as if no step broke
		rate = report.Rate(c.Ceiling.Start) + ".." + report.Rate(c.Ceiling.Max)
	}
	fmt.Fprintf(w, "plan %s seed %d: %s calls/s %s %s, hold %s mean %s, pattern %s, media %.0f%%\n",
		sc.Name, sc.Seed, rate, c.Shape, c.Arrivals, c.HoldDist.Kind, c.HoldDist.Mean, c.Pattern, 100*sc.Audio.MediaShare())
	fmt.Fprintf(w, "%-6s %-12s %-10s %-18s %-10s %s\n", "seq", "at", "caller", "callee", "hold", "media")
	for _, pc := range p.Take(n) {
		callee := pc.Number
		if pc.Carrier >= 0 {
			callee = sc.Carriers[pc.Carrier].Name + ":" + pc.Number
		}
		media := "no"
		if pc.Media {
			media = "yes"
		}
		fmt.Fprintf(w, "%-6d %-12s %-10s %-18s %-10s %s\n", pc.Seq, pc.At.Round(time.Millisecond), p.Phones[pc.Caller].Number,
			callee, pc.Hold, media)
	}
	return nil
}
