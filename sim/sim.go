// Package sim runs a scenario (package sim/scenario) against any SIP PBX
// reachable by address: it starts a population of simulated phones (package
// sim/phone), registers them, places calls between random pairs at the
// scenario's rate, proves two-way audio on answered calls, hangs up,
// unregisters, and returns a report (package sim/report).
package sim

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"

	"pbxlab/internal/clock"
	"pbxlab/internal/pcapio"
	"pbxlab/sim/report"
	"pbxlab/sim/scenario"
)

// Target is the PBX under test.
type Target struct {
	// Addr is the PBX's SIP address, host:port (registrar and outbound proxy).
	Addr string
	// Transport is "udp" or "tcp"; "" uses the scenario's population transport.
	Transport string
	// Domain is the SIP domain of the phones' addresses of record; "" uses
	// Addr's host.
	Domain string
}

// Option configures Run.
type Option func(*config)

type config struct {
	log     *slog.Logger
	clock   clock.Clock
	capture *pcapio.Writer
	localIP netip.Addr
}

// WithLogger sets the logger; default discards.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithClock sets the clock pacing calls, holds and registration refreshes;
// default the wall clock. Media always runs in real time.
func WithClock(c clock.Clock) Option { return func(cfg *config) { cfg.clock = c } }

// WithCapture records all SIP and RTP of the run into w.
func WithCapture(w *pcapio.Writer) Option { return func(c *config) { c.capture = w } }

// WithLocalIP sets the address the phones bind and advertise; default the
// address that routes to the target.
func WithLocalIP(ip netip.Addr) Option { return func(c *config) { c.localIP = ip } }

// Run executes sc against target and returns its report. It returns an error
// only when the run cannot start or ctx ends early (the partial report is
// returned with it); failed registrations and calls are in the report.
func Run(ctx context.Context, sc *scenario.Scenario, target Target, opts ...Option) (*report.Report, error) {
	cfg := config{log: slog.New(slog.DiscardHandler), clock: clock.New()}
	for _, o := range opts {
		o(&cfg)
	}
	if sc == nil {
		return nil, fmt.Errorf("run scenario: %w: nil scenario", scenario.ErrInvalid)
	}
	if _, _, err := net.SplitHostPort(target.Addr); err != nil {
		return nil, fmt.Errorf("run scenario %s against %q: %w: %w", sc.Name, target.Addr, ErrBadTarget, err)
	}
	if target.Transport == "" {
		target.Transport = sc.Population.Transport
	}
	r, err := newRunner(sc, target, cfg)
	if err != nil {
		return nil, fmt.Errorf("run scenario %s: %w", sc.Name, err)
	}
	rep, err := r.run(ctx)
	if err != nil {
		return rep, fmt.Errorf("run scenario %s: %w", sc.Name, err)
	}
	return rep, nil
}
