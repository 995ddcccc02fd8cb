package pcaps

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"pbxlab/internal/sipwire"
	"pbxlab/pbx/config"
)

// Config names of a Setup.
const (
	// ConfigDemo is the features' default in-process PBX configuration:
	// pbx/config.Demo() (subscribers 1000–1099, password demo<N>, realm
	// pbxlab) with call.shutdown_grace 0.
	ConfigDemo = "demo"
	// ConfigEdited is a configuration the scenario changed; Setup.ConfigYAML
	// holds it whole.
	ConfigEdited = "edited"
)

// Setup is a golden capture's sidecar (golden/NAME.yaml): what produced the
// capture, so that a replay can start the same PBX and play each of its
// other parties with the right credentials. Written by the feature suite's
// -update with the capture.
type Setup struct {
	// Scenario is the scenario that was run (its sanitised name).
	Scenario string `yaml:"scenario"`
	// Flow and Capture are the file names of the golden flow and capture.
	Flow    string `yaml:"flow"`
	Capture string `yaml:"capture"`
	// Config is ConfigDemo or ConfigEdited.
	Config string `yaml:"config"`
	// ConfigYAML is the effective configuration when Config is
	// ConfigEdited (pbx/config Marshal: a set auth.nonce_secret is
	// redacted and must be filled in before it parses).
	ConfigYAML string `yaml:"config_yaml,omitempty"`
	// Transport is the phones' transport, "udp" or "tcp".
	Transport string `yaml:"transport"`
	// SUT is the PBX's SIP address in the capture (the capture is the
	// PBX's own view: every packet has it at one end).
	SUT string `yaml:"sut"`
	// Parties are the flow's parties but the PBX, in role order.
	Parties []Party `yaml:"parties"`
}

// Party is one non-PBX party of a golden capture.
type Party struct {
	// Role is the flow's role ("A", "B", …).
	Role string `yaml:"role"`
	// User is the SIP user (subscriber number) it spoke as.
	User string `yaml:"user"`
	// Password is the subscriber's password in the PBX's configuration
	// ("" for a party that is no subscriber).
	Password string `yaml:"password,omitempty"`
	// Addrs are its addresses in the capture.
	Addrs []string `yaml:"addrs"`
}

// Marshal returns the sidecar's YAML, with a header saying where it comes
// from.
func (s Setup) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("# Golden capture sidecar: what produced " + s.Capture + " (see pcaps/README.md).\n")
	buf.WriteString("# Written by go test ./features/ -run 'TestFeatures$' -update; do not edit.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("marshal golden sidecar %s: %w", s.Capture, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("marshal golden sidecar %s: %w", s.Capture, err)
	}
	return buf.Bytes(), nil
}

// ParseSetup decodes a sidecar strictly (an unknown key is an error) and
// checks that it is complete.
func ParseSetup(data []byte) (Setup, error) {
	var s Setup
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return Setup{}, fmt.Errorf("%w: %w", ErrSetup, err)
	}
	var missing []string
	for name, v := range map[string]string{"scenario": s.Scenario, "flow": s.Flow, "capture": s.Capture, "config": s.Config, "transport": s.Transport, "sut": s.SUT} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return Setup{}, fmt.Errorf("%w: missing %s", ErrSetup, strings.Join(missing, ", "))
	}
	if s.Config != ConfigDemo && s.Config != ConfigEdited {
		return Setup{}, fmt.Errorf("%w: config %q: want %s or %s", ErrSetup, s.Config, ConfigDemo, ConfigEdited)
	}
	if s.Config == ConfigEdited && s.ConfigYAML == "" {
		return Setup{}, fmt.Errorf("%w: config %s without config_yaml", ErrSetup, ConfigEdited)
	}
	return s, nil
}

// PBXConfig returns the configuration of the PBX that produced the
// capture; start the PBX of a self-replay with it (on other addresses:
// replace SIP.Listen).
func (s Setup) PBXConfig() (*config.Config, error) {
	switch s.Config {
	case ConfigDemo:
		return DemoConfig(), nil
	case ConfigEdited:
		c, err := config.Parse(s.Capture+" config_yaml", []byte(s.ConfigYAML))
		if err != nil {
			return nil, fmt.Errorf("golden config of %s: %w", s.Capture, err)
		}
		return c, nil
	default:
		return nil, fmt.Errorf("golden config of %s: %w: config %q", s.Capture, ErrSetup, s.Config)
	}
}

// Credentials maps each party's SIP user to its password (parties
// without one left out): what a replay answers the PBX's challenges with.
func (s Setup) Credentials() map[string]string {
	out := map[string]string{}
	for _, p := range s.Parties {
		if p.User != "" && p.Password != "" {
			out[p.User] = p.Password
		}
	}
	return out
}

// DemoConfig is the configuration ConfigDemo names: the features' default
// in-process PBX (pbx/config.Demo() with call.shutdown_grace 0, since the
// scenarios end their own calls).
func DemoConfig() *config.Config {
	c := config.Demo()
	c.Call.ShutdownGrace = 0
	return c
}

// GoldenSetup reads the sidecar of the golden flow or capture name
// ("basic-call", "basic-call.flow" or "basic-call.pcapng").
func GoldenSetup(name string) (Setup, error) {
	b, err := fs.ReadFile(Golden(), Base(name)+".yaml")
	if err != nil {
		return Setup{}, fmt.Errorf("golden sidecar of %s: %w", name, err)
	}
	s, err := ParseSetup(b)
	if err != nil {
		return Setup{}, fmt.Errorf("golden sidecar of %s: %w", name, err)
	}
	return s, nil
}

// GoldenNames lists the golden flows' base names ("basic-call", …), sorted.
func GoldenNames() []string {
	flows, _ := fs.Glob(Golden(), "*.flow") // the pattern is valid
	out := make([]string, 0, len(flows))
	for _, f := range flows {
		out = append(out, Base(f))
	}
	slices.Sort(out)
	return out
}

// Base is a golden file's name without its folder and extension.
func Base(name string) string {
	name = path.Base(name)
	for _, ext := range []string{".pcapng", ".flow", ".yaml"} {
		if b, ok := strings.CutSuffix(name, ext); ok {
			return b
		}
	}
	return name
}

// GoldenMessages reads the SIP messages of the golden capture name
// ("basic-call", "basic-call.pcapng" …), in capture order.
func GoldenMessages(name string) ([]sipwire.Message, error) {
	b, err := fs.ReadFile(Golden(), Base(name)+".pcapng")
	if err != nil {
		return nil, fmt.Errorf("golden capture %s: %w", name, err)
	}
	msgs, err := sipwire.ReadBytes(b)
	if err != nil {
		return msgs, fmt.Errorf("golden capture %s: %w", name, err)
	}
	return msgs, nil
}
