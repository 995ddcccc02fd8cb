package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"pbxlab/features"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/scenarios"
	"pbxlab/sim"
	"pbxlab/sim/scenario"
)

// cmdDemo is the main job on a fresh machine: the demo PBX on loopback, 50
// simulated phones calling each other with audio verified, then the live
// registration and call features on numbers the phones do not use.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer, setup processSetup) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory for the run's captures (default: a new temporary directory)")
	scenarioFile := fs.String("scenario", "", "population scenario (default: the embedded scenarios/demo.yaml)")
	verbose := fs.Bool("v", false, "log at debug level")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := newLogger(stderr, slogLevel(*verbose), "text")
	cfg := config.Demo()
	st := pbx.StackSettings(cfg)
	st.Logger = log
	if err := setup.sip(st); err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		d, err := os.MkdirTemp("", "pbxlab-demo-")
		if err != nil {
			return err
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	sc, err := demoScenario(*scenarioFile)
	if err != nil {
		return err
	}

	start := time.Now()
	in, err := pbxtest.Start(cfg, pbxtest.Options{Dir: dir, PBX: []pbx.Option{pbx.WithLogger(log)}})
	if err != nil {
		return err
	}
	defer in.Close()
	fmt.Fprintf(stdout, "pbxlab demo\n  PBX        sip:%s (udp) and %s (tcp), subscribers 1000-1099, password demo<number>\n", in.UDP, in.TCP)
	fmt.Fprintf(stdout, "  population %d phones from %s, %.0f calls/s for %s\n\n", sc.Population.Count, sc.Population.First, sc.Calls.Rate, sc.Calls.Duration)

	rep, simErr := sim.Run(ctx, sc, sim.Target{Addr: in.Target(), Transport: "udp"}, sim.WithLogger(log))
	if rep != nil {
		_ = rep.Text(stdout)
	}
	if simErr == nil {
		simErr = simVerdict(rep)
	}

	fmt.Fprintf(stdout, "\nfeatures against the live PBX (numbers 1050-1099):\n")
	var progress bytes.Buffer
	res, featErr := features.Run(ctx, features.Options{
		Target: &features.Live{
			Addr: in.Target(), Transport: "udp",
			Numbers:  numberRange(1050, 1099),
			Password: func(n string) string { return "demo" + n },
		},
		Output: dir,
		Format: "progress",
		Out:    &progress,
		Logger: log,
	})
	fmt.Fprintf(stdout, "  scenarios %d: %d passed, %d failed, %d skipped (need configuration: run in-process by make test)\n",
		res.Scenarios, res.Passed, res.Failed, res.Skipped)
	for _, f := range res.Failures {
		fmt.Fprintf(stdout, "  FAILED %s\n", f)
	}
	cdrs, _ := in.ListCDRs(ctx, pbx.CDRFilter{})
	fmt.Fprintf(stdout, "\nCDRs written: %d   captures and store: %s   took %s\n", len(cdrs), dir, time.Since(start).Round(time.Second))

	switch {
	case simErr != nil:
		return fmt.Errorf("population run: %w", simErr)
	case featErr != nil:
		return fmt.Errorf("features: %w", featErr)
	case !res.OK():
		return fmt.Errorf("%d feature scenarios failed", res.Failed)
	case res.Passed == 0:
		return fmt.Errorf("no feature scenario ran")
	}
	fmt.Fprintln(stdout, "\ndemo: PASS")
	return nil
}

func demoScenario(path string) (*scenario.Scenario, error) {
	if path != "" {
		return scenario.Load(path)
	}
	b, err := scenarios.Files.ReadFile("demo.yaml")
	if err != nil {
		return nil, err
	}
	return scenario.Parse("scenarios/demo.yaml", b)
}

func numberRange(from, to int) []string {
	out := make([]string, 0, to-from+1)
	for n := from; n <= to; n++ {
		out = append(out, strconv.Itoa(n))
	}
	return out
}
