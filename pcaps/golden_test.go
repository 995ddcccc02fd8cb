package pcaps

import (
	"errors"
	"io/fs"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"pbxlab/internal/flow"
	"pbxlab/internal/sipwire"
)

// TestGoldenCapturesNormaliseToTheirFlows: each golden capture, normalised
// by internal/flow, is its golden flow byte for byte (the update writes
// both from the same bytes; this keeps them from drifting apart), every
// message has the sidecar's SUT at one end, and the sidecar's parties are
// the flow's, with the passwords of the configuration it names.
func TestGoldenCapturesNormaliseToTheirFlows(t *testing.T) {
	names := GoldenNames()
	if len(names) == 0 {
		t.Fatal("no golden flows")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			want, err := fs.ReadFile(Golden(), name+".flow")
			if err != nil {
				t.Fatal(err)
			}
			msgs, err := GoldenMessages(name)
			if errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("%v (write it with go test ./features/ -run 'TestFeatures$' -update)", err)
			}
			if err != nil || len(msgs) == 0 {
				t.Fatalf("capture: %d messages, %v", len(msgs), err)
			}
			got := flow.New(msgs)
			if got.String() != string(want) {
				ref, _ := flow.ParseText(strings.NewReader(string(want)))
				t.Fatalf("%s.pcapng does not normalise to %s.flow (- flow, + capture):\n%s\n%s", name, name, flow.Compare(ref, got), got)
			}
			setup, err := GoldenSetup(name)
			if err != nil {
				t.Fatal(err)
			}
			checkSetup(t, name, setup, got, msgs)
		})
	}
}

func checkSetup(t *testing.T, name string, s Setup, f flow.Flow, msgs []sipwire.Message) {
	t.Helper()
	if s.Flow != name+".flow" || s.Capture != name+".pcapng" {
		t.Errorf("sidecar names flow %q and capture %q", s.Flow, s.Capture)
	}
	sut, err := netip.ParseAddrPort(s.SUT)
	if err != nil {
		t.Fatalf("sut %q: %v", s.SUT, err)
	}
	for i, m := range msgs {
		if m.Src != sut && m.Dst != sut {
			t.Errorf("message %d goes %v -> %v, not through the sut %v", i, m.Src, m.Dst, sut)
		}
	}
	cfg, err := s.PBXConfig()
	if err != nil {
		t.Fatal(err)
	}
	passwords := map[string]string{}
	for _, sub := range cfg.Subscribers() {
		passwords[sub.Number] = sub.Password
	}
	var roles []string
	for _, p := range f.Parties {
		if p.Role != flow.SUT {
			roles = append(roles, p.Role+" "+p.User)
		}
	}
	var side []string
	for _, p := range s.Parties {
		side = append(side, p.Role+" "+p.User)
		if p.Password != passwords[p.User] {
			t.Errorf("party %s (%s): password %q, the configuration's is %q", p.Role, p.User, p.Password, passwords[p.User])
		}
		if len(p.Addrs) == 0 {
			t.Errorf("party %s has no address", p.Role)
		}
	}
	creds := s.Credentials()
	for _, p := range s.Parties {
		if p.Password != "" && creds[p.User] != p.Password {
			t.Errorf("Credentials()[%s] = %q, want %q", p.User, creds[p.User], p.Password)
		}
	}
	if len(creds) == 0 {
		t.Error("no credentials for any party")
	}
	if !slices.Equal(roles, side) {
		t.Errorf("sidecar parties %q, the flow's %q", side, roles)
	}
}

// TestEveryGoldenFlowHasItsCapture: the golden folder holds, for each
// NAME.flow, NAME.pcapng and NAME.yaml, and nothing else (but a README).
func TestEveryGoldenFlowHasItsCapture(t *testing.T) {
	entries, err := fs.ReadDir(Golden(), ".")
	if err != nil {
		t.Fatal(err)
	}
	names := GoldenNames()
	var want []string
	for _, n := range names {
		want = append(want, n+".flow", n+".pcapng", n+".yaml")
	}
	var got []string
	for _, e := range entries {
		if e.Name() != "README.md" {
			got = append(got, e.Name())
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("pcaps/golden holds %q, want %q (a flow, its capture and its sidecar each)", got, want)
	}
}

// TestParseSetup: sidecars that are refused, and one that is taken.
func TestParseSetup(t *testing.T) {
	const good = "scenario: s\nflow: x.flow\ncapture: x.pcapng\nconfig: demo\ntransport: udp\nsut: 127.0.0.1:5060\n"
	tests := []struct {
		name, yaml, err string
	}{
		{"complete", good, ""},
		{"unknown key", good + "colour: red\n", "colour"},
		{"missing fields", "scenario: s\n", "missing capture, config, flow, sut, transport"},
		{"unknown config", strings.Replace(good, "demo", "mine", 1), `config "mine"`},
		{"edited without yaml", strings.Replace(good, "demo", "edited", 1), "without config_yaml"},
		{"not yaml", "[", "yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSetup([]byte(tc.yaml))
			if tc.err == "" {
				if err != nil || s.Capture != "x.pcapng" {
					t.Fatalf("%+v, %v", s, err)
				}
				if _, err := s.PBXConfig(); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one containing %q", err, tc.err)
			}
		})
	}
}

// TestSetupRoundTrip: Marshal's output parses back to the same sidecar.
func TestSetupRoundTrip(t *testing.T) {
	s := Setup{Scenario: "s", Flow: "x.flow", Capture: "x.pcapng", Config: ConfigEdited, ConfigYAML: "sip:\n  user_agent: x\n",
		Transport: "tcp", SUT: "[::1]:5060", Parties: []Party{{Role: "A", User: "1001", Password: "p", Addrs: []string{"[::1]:4000"}}}}
	b, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseSetup(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.ConfigYAML != s.ConfigYAML || back.Parties[0].Addrs[0] != "[::1]:4000" || back.SUT != s.SUT {
		t.Fatalf("round trip: %+v", back)
	}
	cfg, err := back.PBXConfig()
	if err != nil || cfg.SIP.UserAgent != "x" {
		t.Fatalf("edited config: %v", err)
	}
}

// FuzzParseSetup: a sidecar is a file a user may edit; whatever it holds,
// no panic, and what is accepted names its files and a known config.
func FuzzParseSetup(f *testing.F) {
	for _, n := range GoldenNames() {
		b, err := fs.ReadFile(Golden(), n+".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("config: edited\nconfig_yaml: '['\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSetup(b)
		if err != nil {
			return
		}
		if s.Capture == "" || (s.Config != ConfigDemo && s.Config != ConfigEdited) {
			t.Fatalf("accepted %+v", s)
		}
		_, _ = s.PBXConfig()
	})
}

// TestGoldenLookupsByName: a golden file is found by its base name or any
// of its file names, and a missing one says so.
func TestGoldenLookupsByName(t *testing.T) {
	for _, n := range []string{"busy", "busy.flow", "busy.pcapng", "golden/busy.yaml"} {
		msgs, err := GoldenMessages(n)
		if err != nil || len(msgs) == 0 {
			t.Errorf("GoldenMessages(%q): %d messages, %v", n, len(msgs), err)
		}
		if s, err := GoldenSetup(n); err != nil || s.Capture != "busy.pcapng" {
			t.Errorf("GoldenSetup(%q): %+v, %v", n, s, err)
		}
	}
	if _, err := GoldenMessages("none"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("GoldenMessages(none): %v", err)
	}
	if _, err := GoldenSetup("none"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("GoldenSetup(none): %v", err)
	}
}
