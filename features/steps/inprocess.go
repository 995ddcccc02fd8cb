package steps

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
)

// InProcess starts a fresh PBX (pbxtest) for every scenario, on loopback
// ephemeral ports, with the scenario's configuration changes applied and
// its own capture <Dir>/<Name>.pbx.pcapng. Scenario numbers are the
// configuration's subscriber numbers. Use a *InProcess.
type InProcess struct {
	// Config returns the base configuration of a scenario; default
	// config.Demo() (1000-1099, password demo{n}) with a zero shutdown
	// grace, since scenarios end their own calls.
	Config func() *config.Config
	// Transport is the transport the phones use, "udp" (default) or "tcp".
	Transport string
	// Logger receives the PBX's logs; default discard.
	Logger *slog.Logger
	// PBX are extra options for every PBX (e.g. a clock).
	PBX []pbx.Option
}

// Configurable reports true: scenarios may change the configuration.
func (t *InProcess) Configurable() bool { return true }

// Open prepares (but does not start) the scenario's PBX.
func (t *InProcess) Open(_ context.Context, sc ScenarioInfo) (Session, error) {
	cfg := defaultInProcessConfig()
	if t.Config != nil {
		cfg = t.Config()
	}
	if cfg == nil {
		return nil, fmt.Errorf("open in-process pbx %s: %w: nil configuration", sc.Name, ErrUsage)
	}
	transport := t.Transport
	if transport == "" {
		transport = "udp"
	}
	if transport != "udp" && transport != "tcp" {
		return nil, fmt.Errorf("open in-process pbx %s: %w: transport %q", sc.Name, ErrUsage, transport)
	}
	return &inProcessSession{t: t, sc: sc, cfg: cfg, transport: transport}, nil
}

func defaultInProcessConfig() *config.Config {
	c := config.Demo()
	c.Call.ShutdownGrace = 0
	return c
}

type inProcessSession struct {
	t         *InProcess
	sc        ScenarioInfo
	transport string

	mu      sync.Mutex
	cfg     *config.Config
	inst    *pbxtest.Instance
	ep      Endpoint
	capture *capture
	closed  bool
}

func (s *inProcessSession) Configure(edit func(*config.Config)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inst != nil {
		return fmt.Errorf("configure pbx %s: %w", s.sc.Name, ErrStarted)
	}
	edit(s.cfg)
	return nil
}

func (s *inProcessSession) Start(_ context.Context) (Endpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inst != nil {
		return s.ep, nil
	}
	if s.closed {
		return Endpoint{}, fmt.Errorf("start pbx %s: session closed", s.sc.Name)
	}
	if err := s.cfg.Validate(); err != nil {
		return Endpoint{}, fmt.Errorf("start pbx %s: %w", s.sc.Name, err)
	}
	opts := []pbx.Option{}
	if s.t.Logger != nil {
		opts = append(opts, pbx.WithLogger(s.t.Logger))
	}
	c, err := openCapture(s.sc.Dir, s.sc.Name+".pbx")
	if err != nil {
		return Endpoint{}, fmt.Errorf("start pbx %s: %w", s.sc.Name, err)
	}
	s.capture = c
	opts = append(opts, pbx.WithCapture(c.w))
	opts = append(opts, s.t.PBX...)
	inst, err := pbxtest.Start(s.cfg, pbxtest.Options{PBX: opts})
	if err != nil {
		return Endpoint{}, fmt.Errorf("start pbx %s: %w", s.sc.Name, err)
	}
	addr := inst.UDP
	if s.transport == "tcp" {
		addr = inst.TCP
	}
	if !addr.IsValid() {
		_ = inst.Close()
		return Endpoint{}, fmt.Errorf("start pbx %s: %w: no %s listener", s.sc.Name, ErrUsage, s.transport)
	}
	s.inst = inst
	s.ep = Endpoint{Addr: addr, Transport: s.transport, Domain: addr.Addr().String()}
	return s.ep, nil
}

func (s *inProcessSession) Subscriber(name string) (Subscriber, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ConfigSubscriber(s.cfg, name)
}

func (s *inProcessSession) Unassigned() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ConfigUnassigned(s.cfg)
}

func (s *inProcessSession) Artifacts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.capture == nil || s.capture.path == "" {
		return nil
	}
	return []string{s.capture.path}
}

// wire returns the SIP messages the PBX sent and received so far.
func (s *inProcessSession) wire() ([]wireMessage, error) {
	s.mu.Lock()
	c := s.capture
	s.mu.Unlock()
	if c == nil {
		return nil, nil
	}
	return c.messages()
}

func (s *inProcessSession) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.inst != nil {
		if err := s.inst.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close pbx %s: %w", s.sc.Name, err))
		}
	}
	if s.capture != nil {
		if err := s.capture.close(); err != nil {
			errs = append(errs, fmt.Errorf("close pbx capture %s: %w", s.sc.Name, err))
		}
	}
	return errors.Join(errs...)
}
