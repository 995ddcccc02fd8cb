package conform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"pbxlab/conformance"
	"pbxlab/features"
	"pbxlab/features/steps"
)

// Defaults of a run.
const (
	DefaultConcurrency = 4
	// numbersPerScenario is the most subscribers one scenario takes.
	numbersPerScenario = 3
)

// Config is what a conformance run needs.
type Config struct {
	// Target is the target's SIP address, host:port (a host name is
	// resolved once, at Run).
	Target string
	// Profile is the target's profile. Required.
	Profile *Profile
	// Tags narrows the profile's selection (a godog tag expression); it
	// cannot drop the kind's must-run scenarios.
	Tags string
	// Transport overrides the profile's transport ("udp", "tcp").
	Transport string
	// Format is a godog formatter list, e.g.
	// "pretty,junit:out/r.xml,cucumber:out/r.json"; default "pretty".
	Format string
	// Out receives the formatters that have no file; default io.Discard.
	Out io.Writer
	// Dir keeps each scenario's capture (pcapng), which the HTML report
	// links and draws; "" keeps captures in memory only.
	Dir string
	// HTML is the path of the HTML report ("" writes none).
	HTML string
	// Results is the path of the results file (JSON, see Results; ""
	// writes none).
	Results string
	// Concurrency is how many scenarios run at once (default 4), capped
	// so that every scenario finds its subscribers free.
	Concurrency int
	// Torture also sends the RFC 4475/5118 torture messages and judges
	// the answers with the profile's expectation table.
	Torture bool
}

// Option configures a Runner.
type Option func(*Runner)

// WithLogger sets the logger of the phones and the run (default discard).
func WithLogger(l *slog.Logger) Option { return func(r *Runner) { r.log = l } }

// WithWait bounds every wait inside a step (default 10 s).
func WithWait(d time.Duration) Option { return func(r *Runner) { r.wait = d } }

// WithScenarioTimeout bounds each scenario (default
// features.DefaultScenarioTimeout).
func WithScenarioTimeout(d time.Duration) Option { return func(r *Runner) { r.scenarioTimeout = d } }

// WithProbeTimeout bounds the OPTIONS probe (default DefaultProbeTimeout).
func WithProbeTimeout(d time.Duration) Option { return func(r *Runner) { r.probeTimeout = d } }

// WithTortureTimeout bounds the wait for each torture message's answer
// (default 2 s).
func WithTortureTimeout(d time.Duration) Option { return func(r *Runner) { r.tortureTimeout = d } }

// Runner runs the suite against one target.
type Runner struct {
	cfg             Config
	plan            Plan
	transport       string
	host, port      string
	log             *slog.Logger
	wait            time.Duration
	scenarioTimeout time.Duration
	probeTimeout    time.Duration
	tortureTimeout  time.Duration
}

// New checks cfg and plans the run (NewPlan).
func New(cfg Config, opts ...Option) (*Runner, error) {
	r := &Runner{cfg: cfg, log: slog.New(slog.DiscardHandler), probeTimeout: DefaultProbeTimeout, tortureTimeout: 2 * time.Second}
	for _, o := range opts {
		o(r)
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	p := cfg.Profile
	if p == nil {
		return nil, fmt.Errorf("new conform run: %w: no profile", ErrUsage)
	}
	host, port, err := net.SplitHostPort(cfg.Target)
	if err != nil || host == "" || port == "" {
		return nil, fmt.Errorf("new conform run: %w: target %q: want host:port", ErrUsage, cfg.Target)
	}
	r.host, r.port = host, port
	r.transport = cfg.Transport
	if r.transport == "" {
		r.transport = p.Transport
	}
	if r.transport != "udp" && r.transport != "tcp" {
		return nil, fmt.Errorf("new conform run: %w: transport %q: want udp or tcp", ErrUsage, r.transport)
	}
	if r.cfg.Format == "" {
		r.cfg.Format = "pretty"
	}
	if err := features.ValidateFormat(r.cfg.Format); err != nil {
		return nil, fmt.Errorf("new conform run: %w: %w", ErrUsage, err)
	}
	if r.cfg.Out == nil {
		r.cfg.Out = io.Discard
	}
	if r.cfg.Concurrency <= 0 {
		r.cfg.Concurrency = DefaultConcurrency
	}
	r.cfg.Concurrency = max(1, min(r.cfg.Concurrency, len(p.Numbers())/numbersPerScenario))
	if r.plan, err = NewPlan(p, cfg.Tags); err != nil {
		return nil, fmt.Errorf("new conform run: %w", err)
	}
	return r, nil
}

// Plan returns what the run selects.
func (r *Runner) Plan() Plan { return r.plan }

// Run probes the target, runs the selected scenarios (and the torture
// messages when asked), writes the reports the Config names and returns
// the Report. A target that does not answer the probe runs nothing: every
// selected scenario is reported as not run, and the error wraps
// ErrNoAnswer. Scenario failures are in the Report (Report.OK), not in the
// error, which is for a run that could not happen or whose reports could
// not be written.
func (r *Runner) Run(ctx context.Context) (*Report, error) {
	p := r.cfg.Profile
	rep := &Report{
		Profile: p, Plan: r.plan, Target: r.cfg.Target, Transport: r.transport,
		Tags: r.cfg.Tags, Concurrency: r.cfg.Concurrency, Start: time.Now(),
	}
	addr, err := r.resolve(ctx)
	if err != nil {
		rep.Probe = ProbeResult{Transport: r.transport, Addr: r.cfg.Target, Err: fmt.Errorf("resolve %s: %w: %w", r.cfg.Target, ErrNoAnswer, err)}
	} else {
		rep.Probe = Probe(ctx, r.transport, addr.String(), r.probeTimeout)
	}
	rep.Addr = addr
	var target steps.Target
	if errors.Is(rep.Probe.Err, ErrNoAnswer) {
		target = unreachable{err: rep.Probe.Err}
	} else {
		domain := p.Domain
		if domain == "" {
			domain = r.host
		}
		target = &features.Live{
			Addr: addr.String(), Transport: r.transport, Domain: domain,
			Numbers: p.Numbers(), Password: p.Password, UnassignedNumber: p.UnassignedNumber,
		}
	}
	rep.Features, err = features.Run(ctx, features.Options{
		Target: target, Tags: r.plan.Expr, Output: r.cfg.Dir, Format: r.cfg.Format, Out: r.cfg.Out,
		Concurrency: r.cfg.Concurrency, Wait: r.wait, ScenarioTimeout: r.scenarioTimeout, Logger: r.log,
	})
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	if r.cfg.Torture && rep.Probe.Err == nil {
		rep.Torture, err = r.torture(ctx, addr)
		if err != nil {
			errs = append(errs, err)
		}
	}
	rep.Wall = time.Since(rep.Start)
	rep.check()
	if r.cfg.HTML != "" {
		if err := rep.WriteHTML(r.cfg.HTML); err != nil {
			errs = append(errs, err)
		}
	}
	if r.cfg.Results != "" {
		if err := rep.Results().WriteFile(r.cfg.Results); err != nil {
			errs = append(errs, err)
		}
	}
	if errors.Is(rep.Probe.Err, ErrNoAnswer) {
		errs = append(errs, fmt.Errorf("nothing could run: %w", rep.Probe.Err))
	}
	if len(errs) > 0 {
		return rep, fmt.Errorf("conform %s: %w", r.cfg.Target, errors.Join(errs...))
	}
	return rep, nil
}

// resolve turns the target into an address (a host name's first one).
func (r *Runner) resolve(ctx context.Context) (netip.AddrPort, error) {
	port, err := netip.ParseAddrPort("0.0.0.0:" + r.port)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port %q: %w", r.port, err)
	}
	if a, err := netip.ParseAddr(r.host); err == nil {
		return netip.AddrPortFrom(a.Unmap(), port.Port()), nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.probeTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", r.host)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if len(addrs) == 0 {
		return netip.AddrPort{}, fmt.Errorf("no address for %s", r.host)
	}
	return netip.AddrPortFrom(addrs[0].Unmap(), port.Port()), nil
}

// torture sends the embedded torture messages over the run's transport.
func (r *Runner) torture(ctx context.Context, addr netip.AddrPort) (*conformance.Report, error) {
	msgs, err := conformance.Corpus()
	if err != nil {
		return nil, err
	}
	table, err := conformance.Table(r.cfg.Profile.Torture.Expectations)
	if err != nil {
		return nil, err
	}
	t := conformance.Target{UDP: addr.String()}
	if r.transport == "tcp" {
		t = conformance.Target{TCP: addr.String()}
	}
	rep, err := conformance.Run(ctx, t, msgs, conformance.WithExpectations(table),
		conformance.WithTimeout(r.tortureTimeout), conformance.WithLogger(r.log))
	if err != nil {
		return nil, fmt.Errorf("torture messages: %w", err)
	}
	return rep, nil
}

// unreachable is the target of a run whose probe got no answer: every
// scenario fails at once, saying why, so that the formatters' reports
// list what could not run.
type unreachable struct{ err error }

func (unreachable) Configurable() bool { return false }

func (u unreachable) Open(context.Context, steps.ScenarioInfo) (steps.Session, error) {
	return nil, fmt.Errorf("not run: %w", u.err)
}

// unreachable must satisfy the step library's target.
var _ steps.Target = unreachable{}
