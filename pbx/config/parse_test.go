package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseEmptyGivesDefaults(t *testing.T) {
	for _, data := range []string{"", "\n", "# only a comment\n", "---\n", "~\n", "null\n", "sip:\nauth:\n"} {
		c, err := Parse("pbx.yaml", []byte(data))
		if err != nil {
			t.Fatalf("Parse(%q): %v", data, err)
		}
		if !sameConfig(c, Defaults()) {
			t.Errorf("Parse(%q) = %+v, want defaults", data, c)
		}
	}
}

func TestDefaults(t *testing.T) {
	c := Defaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("Defaults().Validate() = %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"sip.listen", c.SIP.Listen, []string{"udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"}},
		{"sip.user_agent", c.SIP.UserAgent, "pbxlab"},
		{"sip.t1", c.SIP.T1, 500 * time.Millisecond},
		{"sip.t2", c.SIP.T2, 4 * time.Second},
		{"sip.t4", c.SIP.T4, 5 * time.Second},
		{"auth.nonce_ttl", c.Auth.NonceTTL, 5 * time.Minute},
		{"auth.realms", c.Auth.Realms, []Realm{{Name: "pbxlab", Algorithms: []Algorithm{"MD5", "SHA-256"}}}},
		{"registrar.min_expires", c.Registrar.MinExpires, 60 * time.Second},
		{"registrar.max_expires", c.Registrar.MaxExpires, time.Hour},
		{"registrar.default_expires", c.Registrar.DefaultExpires, time.Hour},
		{"registrar.purge_interval", c.Registrar.PurgeInterval, 30 * time.Second},
		{"call.no_answer_timeout", c.Call.NoAnswerTimeout, 60 * time.Second},
		{"call.shutdown_grace", c.Call.ShutdownGrace, 5 * time.Second},
		{"store.commit_delay", c.Store.CommitDelay, 10 * time.Millisecond},
		{"sip.source_limits", c.SIP.SourceLimits, SourceLimits{BlockFor: time.Minute}},
		{"call.redirect", c.Call.Redirect, RedirectOff},
		{"call.max_forwards", c.Call.MaxForwards, 70},
		{"call.offer_100rel", c.Call.Offer100rel, true},
		{"store.path", c.Store.Path, ""},
		{"capture", c.Capture, ""},
		{"log.level", c.Log.Level, "info"},
		{"log.format", c.Log.Format, "text"},
		{"admin.listen", c.Admin.Listen, ""},
		{"subscribers", len(c.Subscribers()), 0},
		{"trusted_peers", len(c.TrustedPeers), 0},
		{"dns.servers", len(c.DNS.Servers), 0},
		{"dns.timeout", c.DNS.Timeout, 2 * time.Second},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestParseValues(t *testing.T) {
	c, err := Parse("pbx.yaml", []byte(`
sip:
  listen: ["tcp:[::1]:0"]
  t1: 1s
  t2: 1m
registrar:
  min_expires: 30
  default_expires: 2m
  max_expires: "7200"
call:
  redirect: 302
  max_forwards: 10
  offer_100rel: false
auth:
  realms:
    - name: a
    - name: b
      algorithms: [SHA-256]
subscribers:
  - number: 0100        # unquoted, kept as written
    password: 1234
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.SIP.Listen; !reflect.DeepEqual(got, []string{"tcp:[::1]:0"}) {
		t.Errorf("listen = %v", got)
	}
	if c.SIP.T1 != time.Second || c.SIP.T2 != time.Minute {
		t.Errorf("t1, t2 = %v, %v", c.SIP.T1, c.SIP.T2)
	}
	if r := c.Registrar; r.MinExpires != 30*time.Second || r.DefaultExpires != 2*time.Minute || r.MaxExpires != 2*time.Hour {
		t.Errorf("registrar = %+v", r)
	}
	if c.Call.Redirect != RedirectTemporary || c.Call.MaxForwards != 10 || c.Call.Offer100rel {
		t.Errorf("call = %+v", c.Call)
	}
	wantRealms := []Realm{{Name: "a", Algorithms: []Algorithm{"MD5", "SHA-256"}}, {Name: "b", Algorithms: []Algorithm{"SHA-256"}}}
	if !reflect.DeepEqual(c.Auth.Realms, wantRealms) {
		t.Errorf("realms = %+v, want %+v", c.Auth.Realms, wantRealms)
	}
	if s := c.ExplicitSubscribers[0]; s.Number != "0100" || s.Password != "1234" {
		t.Errorf("subscriber = %+v", s)
	}
	// Fields not in the file keep their defaults.
	if c.SIP.UserAgent != "pbxlab" || c.Auth.NonceTTL != 5*time.Minute {
		t.Errorf("defaults lost: %+v", c)
	}
}

// TestParseErrors checks the exact "file:line: field: message" text of each
// decoding error.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"unknown top-level field", "sip: {}\nsipp: 1\n",
			`pbx.yaml:2: unknown field "sipp" (did you mean "sip"?)`},
		{"unknown nested field", "registrar:\n  min_expires: 60\n  min_expire: 60\n",
			`pbx.yaml:3: registrar: unknown field "min_expire" (did you mean "min_expires"?)`},
		{"unknown field no suggestion", "log:\n  colour: true\n",
			`pbx.yaml:2: log: unknown field "colour"`},
		{"unknown field in list entry", "subscribers:\n  - number: \"1\"\n    pass: x\n",
			`pbx.yaml:3: subscribers[0]: unknown field "pass" (did you mean "password"?)`},
		{"duplicate field", "log:\n  level: info\n  level: debug\n",
			`pbx.yaml:3: log.level: duplicate field (first at line 2)`},
		{"section not a mapping", "sip: 5\n",
			`pbx.yaml:1: sip: want a mapping, got "5"`},
		{"top level not a mapping", "- a\n",
			`pbx.yaml:1: want a mapping of sections (sip, auth, ...) at the top level, got a list`},
		{"list wanted", "sip:\n  listen: \"udp:127.0.0.1:5060\"\n",
			`pbx.yaml:2: sip.listen: want a list, got "udp:127.0.0.1:5060"`},
		{"string wanted", "sip:\n  user_agent: [a]\n",
			`pbx.yaml:2: sip.user_agent: want a string, got a list`},
		{"integer wanted", "call:\n  max_forwards: seventy\n",
			`pbx.yaml:2: call.max_forwards: want an integer, got "seventy"`},
		{"duration without unit", "sip:\n  t1: 500\n",
			`pbx.yaml:2: sip.t1: want a duration such as "90s", got "500" (a plain number has no unit)`},
		{"bad duration", "auth:\n  nonce_ttl: soon\n",
			`pbx.yaml:2: auth.nonce_ttl: want a duration such as "90s", got "soon"`},
		{"expires not whole seconds", "registrar:\n  min_expires: 1500ms\n",
			`pbx.yaml:2: registrar.min_expires: 1500ms is not a whole number of seconds`},
		{"expires bad value", "registrar:\n  max_expires: forever\n",
			`pbx.yaml:2: registrar.max_expires: want whole seconds such as 3600 or a duration such as "1h", got "forever"`},
		{"expires overflow", "registrar:\n  max_expires: 99999999999999999999\n",
			`pbx.yaml:2: registrar.max_expires: 99999999999999999999 seconds is out of range`},
		{"merge key", "base: &b {level: info}\n",
			`pbx.yaml:1: unknown field "base"`},
		{"merge key use", "log:\n  <<: {level: info}\n",
			`pbx.yaml:2: log: merge keys (<<) are not supported`},
		{"non-string key", "log:\n  [a]: info\n",
			`pbx.yaml:2: log: field name must be a string, got a list`},
		{"syntax error", "sip:\n  listen: [\n",
			`pbx.yaml:2: did not find expected node content`},
		{"two documents", "log: {level: info}\n---\nlog: {level: debug}\n",
			`pbx.yaml:2: more than one YAML document`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("pbx.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", c)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", got, tt.want)
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("errors.Is(%v, ErrInvalidConfig) = false", err)
			}
		})
	}
}

func TestParseJoinsErrorsInLineOrder(t *testing.T) {
	_, err := Parse("pbx.yaml", []byte(`sip:
  listen: ["sctp:127.0.0.1:5060"]
  t1: 500
log:
  level: loud
`))
	want := strings.Join([]string{
		`pbx.yaml:2: sip.listen[0]: unknown transport "sctp" (want udp or tcp)`,
		`pbx.yaml:3: sip.t1: want a duration such as "90s", got "500" (a plain number has no unit)`,
		`pbx.yaml:5: log.level: unknown level "loud" (want debug, info, warn or error)`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Fatalf("error\n got: %v\nwant: %s", err, want)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pbx.yaml")
	if err := os.WriteFile(path, []byte("log:\n  format: xml\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	want := path + `:2: log.format: unknown format "xml" (want text or json)`
	if err == nil || err.Error() != want {
		t.Fatalf("Load error = %v, want %s", err, want)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load(missing) = %v, want ErrNotExist", err)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, c := range []*Config{Defaults(), Demo(), mustLoad(t, "../../examples/pbx.yaml"), mustLoad(t, "../../examples/interop-sipp.yaml")} {
		out, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse("printed.yaml", out)
		if err != nil {
			t.Fatalf("Parse(Marshal()) = %v\n%s", err, out)
		}
		if !sameConfig(back, c) {
			t.Errorf("round trip changed the config:\n%s", out)
		}
	}
}

func TestMarshalQuotesAmbiguousStrings(t *testing.T) {
	c := Defaults()
	c.SIP.UserAgent = "null"
	c.Store.Path = "123"
	c.Capture = "true"
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("printed.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	if back.SIP.UserAgent != "null" || back.Store.Path != "123" || back.Capture != "true" {
		t.Errorf("strings changed in round trip:\n%s", out)
	}
}

func mustLoad(t testing.TB, path string) *Config {
	t.Helper()
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return c
}

// sameConfig compares configurations ignoring their source positions and
// the difference between a nil and an empty list.
func sameConfig(a, b *Config) bool {
	ma, errA := a.Marshal()
	mb, errB := b.Marshal()
	return errA == nil && errB == nil && string(ma) == string(mb)
}

func TestParseDNS(t *testing.T) {
	c, err := Parse("pbx.yaml", []byte("dns:\n  servers: [\"127.0.0.1:5353\", \"::1\"]\n  timeout: 500ms\npeers:\n  - {name: carrier, host: sip.carrier.example}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.DNS.Servers, []string{"127.0.0.1:5353", "::1"}) || c.DNS.Timeout != 500*time.Millisecond {
		t.Fatalf("dns = %+v", c.DNS)
	}
	if p := c.Peers[0]; p.Port != 0 || p.Transport != "" || p.PeerPort() != 5060 || p.PeerTransport() != TransportUDP {
		t.Fatalf("peer without port and transport = %+v: want both left to DNS (5060/udp when it has nothing)", p)
	}
}
