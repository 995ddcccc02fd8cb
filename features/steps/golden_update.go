package steps

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"pbxlab/internal/flow"
	"pbxlab/internal/sipwire"
	"pbxlab/pbx/config"
	"pbxlab/pcaps"
)

// goldenSource is implemented by sessions that record the PBX's own
// capture (InProcess): -update writes it beside the golden flow, with a
// sidecar saying how to start the same PBX.
type goldenSource interface {
	// pbxCapture is the PBX's capture so far, a whole pcapng file.
	pbxCapture() ([]byte, error)
	// goldenConfig names the PBX's configuration (pcaps.ConfigDemo), or
	// returns pcaps.ConfigEdited and the configuration's YAML.
	goldenConfig() (name, yaml string, err error)
	// endpoint is where the phones reached the PBX.
	endpoint() Endpoint
}

// updateGolden writes, once the wire has settled, the scenario's golden
// flow (pcaps/golden/NAME.flow), the PBX-side capture it is normalised
// from (NAME.pcapng: SIP only, the PBX's sockets carry no RTP) and its
// sidecar (NAME.yaml, a pcaps.Setup). The flow is computed from the very
// bytes written, so capture and flow cannot disagree.
func (w *world) updateGolden(ctx context.Context, dir, name string) error {
	fail := func(err error) error { return fmt.Errorf("update golden flow %s: %w", name, err) }
	src, ok := w.sess.(goldenSource)
	if !ok {
		return fail(fmt.Errorf("%w: the target records no PBX-side capture; run -update in-process", ErrUsage))
	}
	if _, err := w.settledFlow(ctx); err != nil {
		return fail(err)
	}
	raw, err := src.pbxCapture()
	if err != nil {
		return fail(err)
	}
	msgs, err := sipwire.ReadBytes(raw)
	if err != nil {
		return fail(err)
	}
	f := flow.New(msgs)
	if mapped := f.MapUsers(w.nameOf); mapped.String() != f.String() {
		return fail(fmt.Errorf("%w: the PBX's numbers are not the scenario's; the capture would not normalise to the flow", ErrUsage))
	}
	setup, err := w.goldenSetup(src, name, f)
	if err != nil {
		return fail(err)
	}
	side, err := setup.Marshal()
	if err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	files := []struct {
		name string
		data []byte
	}{{name, []byte(f.String())}, {setup.Capture, raw}, {pcaps.Base(name) + ".yaml", side}}
	for _, file := range files {
		if err := os.WriteFile(filepath.Join(dir, file.name), file.data, 0o644); err != nil {
			return fail(err)
		}
	}
	return nil
}

// goldenSetup describes the PBX and the parties of a golden capture.
func (w *world) goldenSetup(src goldenSource, name string, f flow.Flow) (pcaps.Setup, error) {
	cfgName, cfgYAML, err := src.goldenConfig()
	if err != nil {
		return pcaps.Setup{}, err
	}
	ep := src.endpoint()
	s := pcaps.Setup{
		Scenario:   w.name,
		Flow:       name,
		Capture:    pcaps.Base(name) + ".pcapng",
		Config:     cfgName,
		ConfigYAML: cfgYAML,
		Transport:  ep.Transport,
		SUT:        ep.Addr.String(),
	}
	for _, p := range f.Parties {
		if p.Role == flow.SUT {
			continue
		}
		party := pcaps.Party{Role: p.Role, User: p.User}
		if sub, err := w.sess.Subscriber(p.User); err == nil && p.User != "" {
			party.Password = sub.Password
		}
		for _, a := range p.Addrs {
			party.Addrs = append(party.Addrs, a.String())
		}
		s.Parties = append(s.Parties, party)
	}
	return s, nil
}

// pbxCapture returns the PBX's capture so far as a pcapng file.
func (s *inProcessSession) pbxCapture() ([]byte, error) {
	s.mu.Lock()
	c := s.capture
	s.mu.Unlock()
	if c == nil {
		return nil, fmt.Errorf("pbx capture %s: %w: the PBX has not started", s.sc.Name, ErrUsage)
	}
	if err := c.w.Flush(); err != nil {
		return nil, fmt.Errorf("pbx capture %s: %w", s.sc.Name, err)
	}
	return c.buf.snapshot(), nil
}

// goldenConfig: pcaps.ConfigDemo when the scenario ran the default
// configuration unchanged, else the effective configuration. The listen
// addresses and the store path, which pbxtest chooses, are not compared
// (and not kept: a replay's PBX listens where it is told).
func (s *inProcessSession) goldenConfig() (string, string, error) {
	s.mu.Lock()
	cfg := *s.cfg
	s.mu.Unlock()
	got, err := portable(&cfg)
	if err != nil {
		return "", "", err
	}
	def, err := portable(pcaps.DemoConfig())
	if err != nil {
		return "", "", err
	}
	if s.t.Config == nil && bytes.Equal(got, def) {
		return pcaps.ConfigDemo, "", nil
	}
	return pcaps.ConfigEdited, string(got), nil
}

// portable is the YAML of a configuration (a copy) without the listen
// addresses and the store path.
func portable(c *config.Config) ([]byte, error) {
	c.SIP.Listen, c.Store.Path = nil, ""
	return c.Marshal()
}

func (s *inProcessSession) endpoint() Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ep
}
