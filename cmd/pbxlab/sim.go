package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"pbxlab/internal/pcapio"
	"pbxlab/internal/sipstack"
	"pbxlab/sim"
	"pbxlab/sim/report"
	"pbxlab/sim/scenario"
)

func cmdSim(ctx context.Context, args []string, stdout, stderr io.Writer, setup stackSetup) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("target", "127.0.0.1:5060", "the PBX to drive, host:port (any SIP PBX that has the subscribers)")
	transport := fs.String("transport", "", "udp or tcp (default: the scenario's)")
	domain := fs.String("domain", "", "SIP domain of the phones' AORs (default: the target host)")
	capture := fs.String("capture", "", "write the phones' SIP and RTP to this pcapng file")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	verbose := fs.Bool("v", false, "log at debug level")
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
	log := newLogger(stderr, slogLevel(*verbose), "text")
	// The same settings as the sim tests (their TestMain): the defaults.
	st := sipstack.Defaults()
	st.Logger = log
	if err := setup(st); err != nil {
		return err
	}
	opts := []sim.Option{sim.WithLogger(log)}
	if *capture != "" {
		w, err := pcapio.Create(*capture)
		if err != nil {
			return err
		}
		defer w.Close()
		opts = append(opts, sim.WithCapture(w))
	}
	tr := *transport
	if tr == "" {
		tr = sc.Population.Transport
	}
	rep, err := sim.Run(ctx, sc, sim.Target{Addr: *target, Transport: tr, Domain: *domain}, opts...)
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

// simVerdict fails the run when something a healthy PBX would not cause
// happened: failed registrations, unexpected call outcomes, unverified audio.
func simVerdict(r *report.Report) error {
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
