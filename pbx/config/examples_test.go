package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestDemo(t *testing.T) {
	c := Demo()
	if got, want := c.SIP.Listen, []string{"udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"}; !reflect.DeepEqual(got, want) {
		t.Errorf("listen = %v, want %v", got, want)
	}
	if r := c.DefaultRealm(); r.Name != "pbxlab" || !reflect.DeepEqual(r.Algorithms, []Algorithm{AlgorithmMD5, AlgorithmSHA256}) {
		t.Errorf("realm = %+v", r)
	}
	if c.Store.Path != "" {
		t.Errorf("store.path = %q, want in memory", c.Store.Path)
	}
	subs := c.Subscribers()
	if len(subs) != 100 || subs[0].Number != "1000" || subs[0].Password != "demo1000" || subs[99].Number != "1099" || subs[99].Password != "demo1099" {
		t.Errorf("subscribers = %d, first %+v", len(subs), subs[0])
	}
	if !c.IsDemoCredentials() {
		t.Error("IsDemoCredentials() = false")
	}
	if err := c.RequireLoopbackForDemo(); err != nil {
		t.Errorf("RequireLoopbackForDemo() = %v", err)
	}
	// Each call returns a fresh Config.
	c.SIP.Listen[0] = "udp:0.0.0.0:5060"
	if Demo().SIP.Listen[0] != "udp:127.0.0.1:5060" {
		t.Error("Demo() returned shared state")
	}
	if string(DemoYAML()) == "" {
		t.Error("DemoYAML() is empty")
	}
}

func TestInteropSippExample(t *testing.T) {
	c := mustLoad(t, "../../examples/interop-sipp.yaml")
	if got, want := c.SIP.Listen, []string{"udp:127.0.0.1:5060"}; !reflect.DeepEqual(got, want) {
		t.Errorf("listen = %v", got)
	}
	subs := c.Subscribers()
	if len(subs) != 101 {
		t.Fatalf("subscribers = %d, want 101", len(subs))
	}
	if s := subs[0]; s.Number != "2000" || !reflect.DeepEqual(s.Contacts, []string{"sip:2000@127.0.0.1:5080"}) {
		t.Errorf("2000 = %+v", s)
	}
	if s := subs[1]; s.Number != "1000" || s.Password != "pw1000" {
		t.Errorf("first range subscriber = %+v", s)
	}
	if c.IsDemoCredentials() {
		t.Error("interop example uses demo credentials")
	}
	if len(c.TrustedPeers) != 1 || c.TrustedPeers[0].Name != "sipp" || c.TrustedPeers[0].Address != "127.0.0.2" {
		t.Errorf("trusted peers = %+v", c.TrustedPeers)
	}
}

func TestFullExample(t *testing.T) {
	c := mustLoad(t, "../../examples/pbx.yaml")
	if c.Registrar.MaxExpires != 2*time.Hour || c.Admin.Listen != "127.0.0.1:8080" || len(c.Auth.Realms) != 2 {
		t.Errorf("unexpected values: %+v", c)
	}
	if len(c.Conferences) != 2 || c.Conferences[1].PIN != "4711" || c.Recording.Dir == "" {
		t.Errorf("conferences %+v, recording %+v", c.Conferences, c.Recording)
	}
	if r := c.RedirectFor(c.ExplicitSubscribers[2]); r != RedirectTemporary {
		t.Errorf("3000 redirect = %q", r)
	}
	if r, ok := c.Route("out"); !ok || len(r.Peers) != 1 || c.Peers[0].MaxCalls != 30 || len(c.Numbering.Entries) != 1 {
		t.Errorf("route out %+v, peers %+v, numbering entries %+v", r, c.Peers, c.Numbering.Entries)
	}
	if sv := c.Services; len(sv.Authority.Classes) != 3 || sv.Abbreviated.Codes["01"] != "3000" || len(sv.GroupRestriction.Restrictions) != 1 {
		t.Errorf("services %+v", sv)
	}
}

// TestTestdataConfigs parses every file in testdata/valid (must succeed) and
// testdata/invalid (must fail with the error text in the .err file beside it).
func TestTestdataConfigs(t *testing.T) {
	valid, _ := filepath.Glob("testdata/valid/*.yaml")
	invalid, _ := filepath.Glob("testdata/invalid/*.yaml")
	if len(valid) == 0 || len(invalid) == 0 {
		t.Fatal("no testdata configs")
	}
	for _, path := range valid {
		mustLoad(t, path)
	}
	for _, path := range invalid {
		want, err := os.ReadFile(path[:len(path)-len(".yaml")] + ".err")
		if err != nil {
			t.Fatal(err)
		}
		_, err = Load(path)
		if err == nil {
			t.Errorf("Load(%s) succeeded", path)
			continue
		}
		if got := err.Error() + "\n"; got != string(want) {
			t.Errorf("Load(%s) error\n got: %s\nwant: %s", path, got, want)
		}
	}
}
