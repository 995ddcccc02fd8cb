package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
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
	tol := addToleranceFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pbxlab replay FILE.pcap[ng] --target HOST:PORT [--sut ADDR:PORT] [--pace original|fast|xN] [--credentials FILE] [--timeout 5s] [--rtp] [--html OUT.html] [--capture OUT.pcapng] [--ignore-methods M,..] [--ignore-attrs A,..] [--status-class]")
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
	cfg := replay.Config{Capture: files[0], Target: *target, Timeout: *timeout, RTP: *rtp, Tolerances: tol.options()}
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
	rep, err := runReplay(ctx, cfg, opts)
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
