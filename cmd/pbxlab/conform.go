package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"pbxlab/conform"
	"pbxlab/features"
	"pbxlab/internal/sipstack"
)

// cmdConform runs the embedded BDD suite (and, with --torture, the RFC
// 4475/5118 torture messages) against any SIP server described by a
// target profile, and writes the reports.
func cmdConform(ctx context.Context, args []string, stdout, stderr io.Writer, setup processSetup) error {
	fs := flag.NewFlagSet("conform", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("target", "", "the SIP server to test, HOST:PORT (required)")
	profile := fs.String("profile", "", "the target's profile, YAML (required; see conform/README.md)")
	tags := fs.String("tags", "", "godog tag expression narrowing the profile's selection, e.g. '@cap-calls && ~@negative-control' (never drops the must-run scenarios)")
	transport := fs.String("transport", "", "udp or tcp (default: the profile's)")
	format := fs.String("format", "pretty", "godog formatters, comma-separated, each to stdout or to :FILE, e.g. pretty,junit:out/r.xml,cucumber:out/r.json")
	html := fs.String("html", "", "HTML report (default: OUT/report.html)")
	results := fs.String("results", "", "also write the run's stable results (JSON, what the README table is made of)")
	out := fs.String("out", "", "directory for the scenarios' captures and the reports (default: a new temporary directory)")
	concurrency := fs.Int("concurrency", conform.DefaultConcurrency, "scenarios at once (capped by the profile's subscribers)")
	torture := fs.Bool("torture", false, "also send the RFC 4475/5118 torture messages and judge the answers by the profile's table")
	wait := fs.Duration("wait", 10*time.Second, "bound of every wait inside a step")
	scenarioTimeout := fs.Duration("scenario-timeout", features.DefaultScenarioTimeout, "bound of a whole scenario")
	list := fs.Bool("list", false, "print what would run and what is left out, and why; run nothing")
	verbose := fs.Bool("v", false, "log at debug level")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: %w", fs.Arg(0), errUsage)
	}
	if *target == "" || *profile == "" {
		return fmt.Errorf("pbxlab conform --target HOST:PORT --profile FILE: %w", errUsage)
	}
	p, err := conform.LoadProfile(*profile)
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	dir := *out
	if dir == "" && !*list {
		if dir, err = os.MkdirTemp("", "pbxlab-conform-"+p.Name+"-"); err != nil {
			return err
		}
	}
	if *html == "" && dir != "" {
		*html = filepath.Join(dir, "report.html")
	}
	log := newLogger(stderr, slogLevel(*verbose), "text")
	r, err := conform.New(conform.Config{
		Target: *target, Profile: p, Tags: *tags, Transport: *transport,
		Format: *format, Out: stdout, Dir: dir, HTML: *html, Results: *results,
		Concurrency: *concurrency, Torture: *torture,
	}, conform.WithLogger(log), conform.WithWait(*wait), conform.WithScenarioTimeout(*scenarioTimeout))
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if *list {
		return printPlan(stdout, r.Plan())
	}
	st := sipstack.Defaults()
	st.Logger = log
	if err := setup.sip(st); err != nil {
		return err
	}
	rep, runErr := r.Run(ctx)
	if rep != nil {
		fmt.Fprintln(stdout)
		_ = rep.WriteText(stdout)
		fmt.Fprintf(stdout, "captures in %s; HTML report %s\n", dir, *html)
	}
	switch {
	case runErr != nil:
		return runErr
	case !rep.OK():
		return errors.New("the target does not conform (see above)")
	}
	return nil
}

func printPlan(w io.Writer, p conform.Plan) error {
	fmt.Fprintf(w, "tag expression: %s\n\nruns (%d, ★ must-run):\n", p.Expr, len(p.Selected))
	for _, s := range p.Selected {
		star := " "
		if p.IsMustRun(s.ID()) {
			star = "★"
		}
		fmt.Fprintf(w, "  %s %s\n", star, s.ID())
	}
	fmt.Fprintf(w, "\nleft out (%d):\n", len(p.Excluded))
	for _, e := range p.Excluded {
		fmt.Fprintf(w, "    %s: %s\n", e.Scenario.ID(), e.Reason)
	}
	return nil
}
