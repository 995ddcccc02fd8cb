package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"pbxlab/internal/ladder"
	"pbxlab/sim"
	"pbxlab/sim/htmlreport"
	"pbxlab/sim/progress"
	"pbxlab/sim/report"
	"pbxlab/sim/scenario"
	"pbxlab/sim/simmetrics"
)

// simOutput is what `pbxlab sim` shows while it runs and writes at the end
// besides the text report: live progress, a JSON and an HTML report, a
// Prometheus endpoint.
type simOutput struct {
	progress *string
	report   *string
	html     *string
	metrics  *string

	scenario string
	live     report.Live
	stop     func()
	wg       sync.WaitGroup
}

// addSimOutputFlags declares the output flags on fs.
func addSimOutputFlags(fs *flag.FlagSet) *simOutput {
	return &simOutput{
		progress: fs.String("progress", "auto", "live progress on stderr: auto (a line redrawn on a terminal, plain lines every 5 s otherwise), tty, plain or off"),
		report:   fs.String("report", "", "write the report as JSON (with its time series and setup-time histogram) to this file, also when interrupted"),
		html:     fs.String("html", "", "write a self-contained HTML report (plots, ladders of failed calls) to this file, also when interrupted"),
		metrics:  fs.String("metrics", "", "serve Prometheus metrics of the run at http://ADDR/metrics while it runs (e.g. :9100)"),
	}
}

// check validates the flags before anything starts.
func (o *simOutput) check() error {
	if _, err := progress.ParseMode(*o.progress); err != nil {
		return fmt.Errorf("--progress: %w: %w", err, errUsage)
	}
	return nil
}

// start begins the progress display (and the metrics endpoint) and
// returns the options that attach them to the run.
func (o *simOutput) start(ctx context.Context, stderr io.Writer, sc *scenario.Scenario) ([]sim.Option, error) {
	ctx, cancel := context.WithCancel(ctx)
	o.stop = cancel
	o.scenario = sc.Name
	if err := o.startMetrics(ctx, stderr); err != nil {
		cancel()
		return nil, err
	}
	mode, _ := progress.ParseMode(*o.progress)
	mode = mode.Resolve(isTerminal(stderr))
	if every := mode.Interval(); every > 0 {
		tick := time.NewTicker(every)
		total := sc.Calls.Duration
		if sc.Calls.Shape == scenario.ShapeCeiling {
			total = sc.Calls.Ceiling.StepDuration // each step is a run of its own: the line shows the current one's
		}
		p := progress.NewPrinter(stderr, mode, total)
		o.wg.Go(func() {
			defer tick.Stop()
			_ = progress.Run(ctx, p, &o.live, tick.C)
		})
	}
	return []sim.Option{sim.WithLive(&o.live)}, nil
}

// wantsCapture reports whether the run must be captured for the ladders
// of the HTML report (when --capture does not already).
func (o *simOutput) wantsCapture() bool { return *o.html != "" }

// finish stops the display and writes the report files (rep may be a
// partial report of an interrupted run); msgs is the run's capture, for
// the failed calls' messages.
func (o *simOutput) finish(rep *report.Report, msgs ladderSource) error {
	if o.stop != nil {
		o.stop()
	}
	o.wg.Wait()
	if rep == nil {
		return nil
	}
	if err := attachLadders(rep, msgs); err != nil {
		return err
	}
	if *o.report != "" {
		if err := writeFile(*o.report, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(rep)
		}); err != nil {
			return err
		}
	}
	if *o.html != "" {
		if err := writeHTMLReport(*o.html, rep); err != nil {
			return err
		}
	}
	return nil
}

// writeFile creates path and writes it with f.
func writeFile(path string, f func(io.Writer) error) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := f(out); err != nil {
		_ = out.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return out.Close()
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// startMetrics serves /metrics at --metrics until ctx ends.
func (o *simOutput) startMetrics(ctx context.Context, stderr io.Writer) error {
	if *o.metrics == "" {
		return nil
	}
	ln, err := net.Listen("tcp", *o.metrics)
	if err != nil {
		return fmt.Errorf("--metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", simmetrics.Handler(simmetrics.NewRegistry(&o.live, o.scenario)))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(stderr, "metrics at http://%s/metrics\n", ln.Addr())
	o.wg.Go(func() { _ = srv.Serve(ln) })
	o.wg.Go(func() {
		<-ctx.Done()
		_ = srv.Close()
	})
	return nil
}

// ladderSource is the capture file holding the run's SIP ("": none).
type ladderSource string

// writeHTMLReport writes the HTML report.
func writeHTMLReport(path string, rep *report.Report) error {
	return writeFile(path, func(w io.Writer) error { return htmlreport.Write(w, rep) })
}

// attachLadders fills the report's failed calls with their messages from
// the capture, if there is one.
func attachLadders(rep *report.Report, src ladderSource) error {
	if src == "" || len(rep.FailedCalls) == 0 {
		return nil
	}
	msgs, err := ladder.ReadFile(string(src))
	if err != nil && len(msgs) == 0 {
		return fmt.Errorf("ladders of failed calls: %w", err)
	}
	htmlreport.AttachMessages(rep, msgs)
	return nil
}
