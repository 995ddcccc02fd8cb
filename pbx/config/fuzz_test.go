package config

import (
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzParse checks that Parse never panics, that an accepted configuration
// validates, and that printing it (Marshal) gives a file that parses back to
// the same printed form. The seed corpus is in testdata/fuzz/FuzzParse (the
// demo, the examples and the testdata configs) plus the entries below.
func FuzzParse(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("subscribers: &s [{number: \"1\", contacts: &c [\"sip:a@b\"]}, {number: \"2\", contacts: *c}]\n"))
	f.Add([]byte("log: {<<: {level: info}}\n"))
	f.Add([]byte("subscriber_ranges: [{from: \"0\", to: \"999999999999999999\", password: p}]\n"))
	f.Add([]byte("sip: {listen: [\"udp:[fe80::1%eth0]:0\"], t1: 1ns, t2: 2ns}\nregistrar: {min_expires: 1, default_expires: 1, max_expires: 4294967295}\n"))
	f.Add([]byte("sip: {listen: [\"udp:0.0.0.0:5060 advertise 203.0.113.5:5070\", \"tcp:[::]:0 advertise [2001:db8::5]\"]}\n"))
	f.Add([]byte("auth: {nonce_secret: \"0123456789abcdef0123456789abcdef\"}\n"))
	f.Add([]byte("subscribers: [{number: \"1\", password: p}]\nservices: {switches: {subscribers: {\"1\": {authority: off}}, gateway_prefixes: {\"1\": {abbreviated: on}}}, emergency: {numbers: []}, authority: {classes: [{name: a}, {name: b, prefixes: [\"9\"]}], roles: [{name: r, class: a}], members: [{role: r, prefixes: [\"1\"]}]}, group_restriction: {groups: [{name: g, numbers: [\"1\"]}], restrictions: [{from: g, to: g}]}, abbreviated: {digits: 1, codes: {\"1\": \"2\"}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err != nil {
			if c != nil {
				t.Fatalf("Parse returned a Config with error %v", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted config does not validate: %v", err)
		}
		if got, want := len(c.Listen()), len(c.SIP.Listen); got != want {
			t.Fatalf("Listen() = %d entries, want %d", got, want)
		}
		if n := len(c.Subscribers()); n > MaxSubscribers {
			t.Fatalf("Subscribers() = %d entries", n)
		}
		_ = c.RequireLoopbackForDemo()
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		if c.Auth.NonceSecret != "" {
			// Printed redacted, which Parse refuses by design.
			var printed struct {
				Auth struct {
					NonceSecret string `yaml:"nonce_secret"`
				} `yaml:"auth"`
			}
			if err := yaml.Unmarshal(out, &printed); err != nil || printed.Auth.NonceSecret != RedactedSecret {
				t.Fatalf("printed nonce_secret is not redacted (%v):\n%s", err, out)
			}
			return
		}
		back, err := Parse("printed.yaml", out)
		if err != nil {
			t.Fatalf("printed config does not parse: %v\n%s", err, out)
		}
		again, err := back.Marshal()
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		if string(again) != string(out) {
			t.Fatalf("print is not stable:\n%s\n---\n%s", out, again)
		}
	})
}

// FuzzParseListenAddr checks that a sip.listen entry (from a file or
// --listen) never panics the parser and that an accepted one prints back
// to an entry that parses to the same address.
func FuzzParseListenAddr(f *testing.F) {
	for _, s := range []string{"udp:127.0.0.1:5060", "tcp:[::1]:0", "udp:0.0.0.0:5060 advertise 203.0.113.5:5070",
		"udp:[::]:5060 advertise 2001:db8::5", "udp:[::]:5060 advertise [2001:db8::5]", "udp:0.0.0.0:1 advertise", "udp:[fe80::1%eth0]:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		la, err := ParseListenAddr(s)
		if err != nil {
			return
		}
		back, err := ParseListenAddr(la.String())
		if err != nil || back != la {
			t.Fatalf("%q parsed to %+v, printed %q, parsed back to %+v (%v)", s, la, la.String(), back, err)
		}
	})
}
