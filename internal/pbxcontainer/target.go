package pbxcontainer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"pbxlab/features/steps"
	"pbxlab/pbx/config"
)

// Target is the BDD suite's container target: each scenario gets its own
// PBX container, started from the image with the scenario's configuration
// (so @in-process scenarios run too), SIP published on the network's
// gateway address (StartPBX), and the PBX's capture and log copied to
// <Dir>/<scenario>.pbx.pcapng and .pbx.log when the scenario ends; a failing
// scenario gets the log attached. Phones run on the host. Use a *Target;
// Image and Network are required and outlive the run.
type Target struct {
	Image   *Image
	Network *Network
	// Config returns the base configuration of a scenario; default
	// DefaultConfig.
	Config func() *config.Config
	// Transport is the phones' transport, "udp" (default) or "tcp".
	Transport string
	// Ready bounds a container's start and readiness probe; default 60 s.
	Ready time.Duration
	// Log receives testcontainers' logs at debug level.
	Log *slog.Logger
}

// DefaultConfig is the demo numbering (1000-1099) with passwords that are
// not the demo's ("ct-{n}-pw"): pbxlab refuses the guessable demo{n} on any
// address but loopback, and a container listens on 0.0.0.0. No shutdown
// grace: scenarios end their own calls.
func DefaultConfig() *config.Config {
	c := config.Demo()
	c.SubscriberRanges[0].Password = "ct-{n}-pw"
	c.Call.ShutdownGrace = 0
	return c
}

// Configurable reports true: every scenario has a PBX of its own.
func (t *Target) Configurable() bool { return true }

// Open prepares (but does not start) the scenario's PBX container.
func (t *Target) Open(_ context.Context, sc steps.ScenarioInfo) (steps.Session, error) {
	if t.Image == nil || t.Network == nil {
		return nil, fmt.Errorf("open pbx container %s: %w: Image and Network are required", sc.Name, ErrUsage)
	}
	cfg := DefaultConfig()
	if t.Config != nil {
		cfg = t.Config()
	}
	transport := t.Transport
	if transport == "" {
		transport = "udp"
	}
	if transport != "udp" && transport != "tcp" {
		return nil, fmt.Errorf("open pbx container %s: %w: transport %q", sc.Name, ErrUsage, transport)
	}
	return &session{t: t, sc: sc, cfg: cfg, transport: transport}, nil
}

type session struct {
	t         *Target
	sc        steps.ScenarioInfo
	transport string

	mu     sync.Mutex
	cfg    *config.Config
	pbx    *PBX
	ep     steps.Endpoint
	files  []string
	logs   []byte
	closed bool
}

func (s *session) Configure(edit func(*config.Config)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pbx != nil {
		return fmt.Errorf("configure pbx container %s: %w", s.sc.Name, steps.ErrStarted)
	}
	edit(s.cfg)
	return nil
}

func (s *session) Start(ctx context.Context) (steps.Endpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pbx != nil {
		return s.ep, nil
	}
	if s.closed {
		return steps.Endpoint{}, fmt.Errorf("start pbx container %s: session closed", s.sc.Name)
	}
	p, err := StartPBX(ctx, PBXOptions{
		Image: s.t.Image, Network: s.t.Network, Config: s.cfg,
		Publish: true, Capture: true, Ready: s.t.Ready, Log: s.t.Log,
	})
	if err != nil {
		return steps.Endpoint{}, fmt.Errorf("start pbx container %s: %w", s.sc.Name, err)
	}
	s.pbx = p
	s.ep = steps.Endpoint{Addr: p.Host(), Transport: s.transport, Domain: p.Host().Addr().String()}
	return s.ep, nil
}

func (s *session) Subscriber(name string) (steps.Subscriber, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return steps.ConfigSubscriber(s.cfg, name)
}

func (s *session) Unassigned() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return steps.ConfigUnassigned(s.cfg)
}

// Artifacts are the PBX's capture and log, once Close copied them out.
func (s *session) Artifacts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.files...)
}

// Logs is the PBX container's log (steps.LogSource), kept at Close.
func (s *session) Logs() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pbx != nil && !s.closed {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return s.pbx.Logs(ctx)
	}
	return s.logs
}

// Close stops the PBX gracefully (SIGTERM), keeps its log, copies its
// capture and log to the scenario's directory, and removes the container.
func (s *session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.pbx == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	if err := s.pbx.Stop(ctx); err != nil {
		errs = append(errs, err)
	} else if code, err := s.pbx.ExitCode(ctx); err != nil || code != 0 {
		errs = append(errs, fmt.Errorf("pbx container %s exited with code %d (%v) after SIGTERM", s.sc.Name, code, err))
	}
	s.logs = s.pbx.Logs(ctx)
	if s.sc.Dir != "" {
		logPath := filepath.Join(s.sc.Dir, s.sc.Name+".pbx.log")
		if err := os.WriteFile(logPath, s.logs, 0o644); err != nil {
			errs = append(errs, fmt.Errorf("save pbx log: %w", err))
		} else {
			s.files = append(s.files, logPath)
		}
		if capture, err := s.pbx.CopyOut(ctx, CapturePath); err != nil {
			errs = append(errs, err)
		} else {
			capPath := filepath.Join(s.sc.Dir, s.sc.Name+".pbx.pcapng")
			if err := os.WriteFile(capPath, capture, 0o644); err != nil {
				errs = append(errs, fmt.Errorf("save pbx capture: %w", err))
			} else {
				s.files = append(s.files, capPath)
			}
		}
	}
	if err := s.pbx.Terminate(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

var (
	_ steps.Target    = (*Target)(nil)
	_ steps.LogSource = (*session)(nil)
)
