package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestValidateErrors checks the exact "file:line: field: message" text of
// each validation error of a parsed file.
func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		// sip
		{"unknown transport", "sip:\n  listen:\n    - udp:127.0.0.1:5060\n    - sctp:127.0.0.1:5060\n",
			`pbx.yaml:4: sip.listen[1]: unknown transport "sctp" (want udp or tcp)`},
		{"listen without transport", "sip:\n  listen: [\"127.0.0.1\"]\n",
			`pbx.yaml:2: sip.listen[0]: "127.0.0.1" is not transport:host:port (e.g. "udp:127.0.0.1:5060")`},
		{"listen host name", "sip:\n  listen: [\"udp:localhost:5060\"]\n",
			`pbx.yaml:2: sip.listen[0]: host "localhost" is not an IP address`},
		{"listen bare ipv6", "sip:\n  listen: [\"udp:::1:5060\"]\n",
			`pbx.yaml:2: sip.listen[0]: "udp:::1:5060" is not transport:host:port (IPv6 as "udp:[::1]:5060")`},
		{"listen port range", "sip:\n  listen: [\"tcp:127.0.0.1:65536\"]\n",
			`pbx.yaml:2: sip.listen[0]: port "65536" out of range (want 0-65535)`},
		{"listen empty", "sip:\n  listen: []\n",
			`pbx.yaml:2: sip.listen: at least one listen address is required`},
		{"listen duplicate", "sip:\n  listen: [\"udp:127.0.0.1:5060\", \"udp:127.0.0.1:5060\"]\n",
			`pbx.yaml:2: sip.listen[1]: duplicate listen address "udp:127.0.0.1:5060" (also sip.listen[0])`},
		{"advertise host name", "sip:\n  listen:\n    - \"udp:0.0.0.0:5060 advertise pbx.example.org\"\n",
			`pbx.yaml:3: sip.listen[0]: advertised host "pbx.example.org" is not an IP address (host names are not supported)`},
		{"advertise missing address", "sip:\n  listen: [\"udp:0.0.0.0:5060 advertise\"]\n",
			`pbx.yaml:2: sip.listen[0]: "advertise" needs an address (e.g. "udp:0.0.0.0:5060 advertise 203.0.113.5:5060")`},
		{"advertise misspelt", "sip:\n  listen: [\"udp:0.0.0.0:5060 advertize 203.0.113.5\"]\n",
			`pbx.yaml:2: sip.listen[0]: unexpected "advertize" after "udp:0.0.0.0:5060" (want "advertise IP[:PORT]")`},
		{"advertise trailing word", "sip:\n  listen: [\"udp:0.0.0.0:5060 advertise 203.0.113.5 now\"]\n",
			`pbx.yaml:2: sip.listen[0]: unexpected "now" after the advertised address`},
		{"advertise unspecified", "sip:\n  listen: [\"udp:0.0.0.0:5060 advertise 0.0.0.0\"]\n",
			`pbx.yaml:2: sip.listen[0]: advertised address 0.0.0.0 must be a unicast address peers can reach`},
		{"advertise multicast", "sip:\n  listen: [\"udp:0.0.0.0:5060 advertise 224.0.0.1:5060\"]\n",
			`pbx.yaml:2: sip.listen[0]: advertised address 224.0.0.1 must be a unicast address peers can reach`},
		{"advertise port zero", "sip:\n  listen: [\"udp:0.0.0.0:5060 advertise 203.0.113.5:0\"]\n",
			`pbx.yaml:2: sip.listen[0]: advertised port "0" out of range (want 1-65535)`},
		{"advertise port range", "sip:\n  listen: [\"tcp:0.0.0.0:5060 advertise 203.0.113.5:65536\"]\n",
			`pbx.yaml:2: sip.listen[0]: advertised port "65536" out of range (want 1-65535)`},
		{"advertise other family", "sip:\n  listen:\n    - udp:127.0.0.1:5060\n    - \"udp:[::]:5060 advertise 203.0.113.5\"\n",
			`pbx.yaml:4: sip.listen[1]: advertised 203.0.113.5 is not of the listen address's family (::)`},
		{"advertise zone", "sip:\n  listen: [\"udp:[::]:5060 advertise [fe80::1%eth0]:5060\"]\n",
			`pbx.yaml:2: sip.listen[0]: advertised address fe80::1%eth0 may not have a zone`},
		{"listen duplicate with advertise", "sip:\n  listen: [\"udp:0.0.0.0:5060\", \"udp:0.0.0.0:5060 advertise 203.0.113.5\"]\n",
			`pbx.yaml:2: sip.listen[1]: duplicate listen address "udp:0.0.0.0:5060 advertise 203.0.113.5" (also sip.listen[0])`},
		{"user agent control", "sip:\n  user_agent: \"a\\r\\nX: y\"\n",
			`pbx.yaml:2: sip.user_agent: "a\r\nX: y" may not contain control characters`},
		{"t1 zero", "sip:\n  t1: 0s\n",
			`pbx.yaml:2: sip.t1: must be greater than 0, got 0s`},
		{"t2 not above t1", "sip:\n  t1: 500ms\n  t2: 500ms\n",
			`pbx.yaml:3: sip.t2: t2 (500ms) must be greater than t1 (500ms)`},
		{"t4 zero", "sip:\n  t4: 0s\n",
			`pbx.yaml:2: sip.t4: must be greater than 0, got 0s`},
		{"t1 above default t2", "sip:\n  t1: 5s\n",
			`pbx.yaml:2: sip.t1: t2 (4s) must be greater than t1 (5s)`},
		// auth
		{"nonce ttl negative", "auth:\n  nonce_ttl: -1m\n",
			`pbx.yaml:2: auth.nonce_ttl: must be greater than 0, got -1m0s`},
		{"nonce secret too short", "auth:\n  nonce_secret: tooshort\n",
			`pbx.yaml:2: auth.nonce_secret: must be at least 32 characters, got 8 (e.g. the output of "openssl rand -hex 32")`},
		{"nonce secret too long", "auth:\n  nonce_secret: " + strings.Repeat("k", 1025) + "\n",
			`pbx.yaml:2: auth.nonce_secret: must be at most 1024 characters, got 1025`},
		{"nonce secret control", "auth:\n  nonce_secret: \"0123456789abcdef0123456789abcdef\\n\"\n",
			`pbx.yaml:2: auth.nonce_secret: may not contain control characters`},
		{"nonce secret printed placeholder", "auth:\n  realms: [{name: a}]\n  nonce_secret: (redacted)\n",
			`pbx.yaml:3: auth.nonce_secret: "(redacted)" is the placeholder --print-config prints; put the secret itself here (or "" to keep one in the store)`},
		{"nonce secret not a string", "auth:\n  nonce_secret: [a, b]\n",
			`pbx.yaml:2: auth.nonce_secret: want a string, got a list`},
		{"no realms", "auth:\n  realms: []\n",
			`pbx.yaml:2: auth.realms: at least one realm is required`},
		{"realm without name", "auth:\n  realms:\n    - algorithms: [MD5]\n",
			`pbx.yaml:3: auth.realms[0].name: realm name is required`},
		{"realm name quote", "auth:\n  realms:\n    - name: 'a\"b'\n",
			`pbx.yaml:3: auth.realms[0].name: realm name "a\"b" may not contain quotes, backslashes or control characters`},
		{"duplicate realm", "auth:\n  realms:\n    - name: a\n    - name: a\n",
			`pbx.yaml:4: auth.realms[1].name: duplicate realm "a" (also auth.realms[0])`},
		{"unknown algorithm", "auth:\n  realms:\n    - name: a\n      algorithms:\n        - MD5\n        - SHA-512\n",
			`pbx.yaml:6: auth.realms[0].algorithms[1]: unknown algorithm "SHA-512" (want MD5 or SHA-256)`},
		{"duplicate algorithm", "auth:\n  realms:\n    - name: a\n      algorithms: [SHA-256, SHA-256]\n",
			`pbx.yaml:4: auth.realms[0].algorithms[1]: duplicate algorithm "SHA-256"`},
		{"no algorithms", "auth:\n  realms:\n    - name: a\n      algorithms: []\n",
			`pbx.yaml:4: auth.realms[0].algorithms: at least one algorithm is required`},
		// registrar
		{"min expires zero", "registrar:\n  min_expires: 0\n",
			`pbx.yaml:2: registrar.min_expires: must be at least 1 second, got 0`},
		{"default below min", "registrar:\n  min_expires: 600\n  default_expires: 300\n",
			`pbx.yaml:3: registrar.default_expires: default_expires (300) must not be below min_expires (600)`},
		{"min above default default", "registrar:\n  min_expires: 7200\n",
			`pbx.yaml:2: registrar.min_expires: default_expires (3600) must not be below min_expires (7200)`},
		{"max below default", "registrar:\n  max_expires: 1800\n",
			`pbx.yaml:2: registrar.max_expires: max_expires (1800) must not be below default_expires (3600)`},
		{"max too large", "registrar:\n  max_expires: 4294967296\n",
			`pbx.yaml:2: registrar.max_expires: must be at most 4294967295, got 4294967296`},
		{"purge zero", "registrar:\n  purge_interval: 0s\n",
			`pbx.yaml:2: registrar.purge_interval: must be greater than 0, got 0s`},
		// call
		{"no answer zero", "call:\n  no_answer_timeout: 0s\n",
			`pbx.yaml:2: call.no_answer_timeout: must be greater than 0, got 0s`},
		{"shutdown negative", "call:\n  shutdown_grace: -1s\n",
			`pbx.yaml:2: call.shutdown_grace: must not be negative, got -1s`},
		{"commit delay too long", "store:\n  commit_delay: 2s\n",
			`pbx.yaml:2: store.commit_delay: must be between 0 and 1s, got 2s`},
		{"source rate negative", "sip:\n  source_limits: {rate: -1}\n",
			`pbx.yaml:2: sip.source_limits.rate: must be 0 (off) to 1000000 messages per second, got -1`},
		{"source burst too big", "sip:\n  source_limits:\n    rate: 10\n    burst: 2000000\n",
			`pbx.yaml:4: sip.source_limits.burst: must be 0 (4 × rate) to 1000000 messages, got 2000000`},
		{"source block too short", "sip:\n  source_limits:\n    rate: 10\n    block_for: 10ms\n",
			`pbx.yaml:4: sip.source_limits.block_for: must be between 1s and 24h, got 10ms`},
		{"source connections negative", "sip:\n  source_limits: {connections: -2}\n",
			`pbx.yaml:2: sip.source_limits.connections: must be 0 (no bound) or more, got -2`},
		{"source auth failures negative", "sip:\n  source_limits: {auth_failures: -1}\n",
			`pbx.yaml:2: sip.source_limits.auth_failures: must be 0 (no bound) to 1000000, got -1`},
		{"source exempt not an address", "sip:\n  source_limits:\n    exempt:\n      - 10.0.0.0/8\n      - office.example.org\n",
			`pbx.yaml:5: sip.source_limits.exempt[1]: address "office.example.org" is not an IP or CIDR`},
		{"global redirect", "call:\n  redirect: 303\n",
			`pbx.yaml:2: call.redirect: unknown redirect "303" (want off, 301 or 302)`},
		{"global redirect empty", "call:\n  redirect: \"\"\n",
			`pbx.yaml:2: call.redirect: unknown redirect "" (want off, 301 or 302)`},
		{"max forwards", "call:\n  max_forwards: 0\n",
			`pbx.yaml:2: call.max_forwards: must be between 1 and 255, got 0`},
		// media
		{"media enabled not a bool", "media:\n  enabled: yes please\n",
			`pbx.yaml:2: media.enabled: want true or false, got "yes please"`},
		{"media anchor", "media:\n  anchor: proxy\n",
			`pbx.yaml:2: media.anchor: unknown anchor "proxy" (want relay or direct)`},
		{"rtp ports min low", "media:\n  rtp_ports: {min: 80, max: 100}\n",
			`pbx.yaml:2: media.rtp_ports.min: must be between 1024 and 65534, got 80`},
		{"rtp ports max below min", "media:\n  rtp_ports:\n    min: 30000\n    max: 20000\n",
			`pbx.yaml:4: media.rtp_ports.max: must be above min (30000) and at most 65535, got 20000`},
		{"rtp ports max above 65535", "media:\n  rtp_ports:\n    min: 30000\n    max: 70000\n",
			`pbx.yaml:4: media.rtp_ports.max: must be above min (30000) and at most 65535, got 70000`},
		{"rtp ports no pair", "media:\n  rtp_ports:\n    min: 20001\n    max: 20002\n",
			`pbx.yaml:4: media.rtp_ports.max: range 20001-20002 holds no even RTP port with its RTCP port`},
		{"port drain negative", "media:\n  port_drain: -1s\n",
			`pbx.yaml:2: media.port_drain: must not be negative, got -1s`},
		{"media timeout negative", "media:\n  timeout: -5s\n",
			`pbx.yaml:2: media.timeout: must not be negative (0 turns it off), got -5s`},
		{"media advertise not an IP", "media:\n  advertise: pbx.example.com\n",
			`pbx.yaml:2: media.advertise: want "", "route" or an IP address (not 0.0.0.0 or ::), got "pbx.example.com"`},
		{"media advertise unspecified", "media:\n  advertise: 0.0.0.0\n",
			`pbx.yaml:2: media.advertise: want "", "route" or an IP address (not 0.0.0.0 or ::), got "0.0.0.0"`},
		{"keepalive too short", "registrar:\n  keepalive: 2s\n",
			`pbx.yaml:2: registrar.keepalive: must be 0 (off) or at least 5s, got 2s`},
		{"subscriber digest uri", "subscribers:\n  - number: \"1\"\n    password: x\n    digest_uri: loose\n",
			`pbx.yaml:4: subscribers[0].digest_uri: unknown check "loose" (want "", strict or host)`},
		{"subscriber media anchor", "subscribers:\n  - number: \"1\"\n    password: x\n    media_anchor: nat\n",
			`pbx.yaml:4: subscribers[0].media_anchor: unknown anchor "nat" (want "", relay or direct)`},
		// misc
		{"log level", "log:\n  level: trace\n",
			`pbx.yaml:2: log.level: unknown level "trace" (want debug, info, warn or error)`},
		{"log format", "log:\n  format: xml\n",
			`pbx.yaml:2: log.format: unknown format "xml" (want text or json)`},
		{"admin listen", "admin:\n  listen: \"8080\"\n",
			`pbx.yaml:2: admin.listen: "8080" is not host:port (e.g. "127.0.0.1:8080")`},
		{"admin port", "admin:\n  listen: \"127.0.0.1:http\"\n",
			`pbx.yaml:2: admin.listen: port "http" out of range (want 0-65535)`},
		// subscribers
		{"number not digits", "subscribers:\n  - number: \"20a0\"\n    password: x\n",
			`pbx.yaml:2: subscribers[0].number: number "20a0" must be digits only`},
		{"number missing", "subscribers:\n  - password: x\n",
			`pbx.yaml:2: subscribers[0].number: number is required`},
		{"number too long", "subscribers:\n  - number: \"" + strings.Repeat("1", 33) + "\"\n    password: x\n",
			`pbx.yaml:2: subscribers[0].number: number "` + strings.Repeat("1", 33) + `" is longer than 32 digits`},
		{"duplicate number", "subscribers:\n  - {number: \"2000\", password: x}\n  - {number: \"2000\", password: y}\n",
			`pbx.yaml:3: subscribers[1].number: duplicate number "2000" (also subscribers[0])`},
		{"number in range", "subscribers:\n  - {number: \"1050\", password: x}\nsubscriber_ranges:\n  - {from: \"1000\", to: \"1099\", password: p}\n",
			`pbx.yaml:2: subscribers[0].number: number "1050" is also in subscriber_ranges[0] (1000-1099)`},
		{"number of other width not in range", "subscribers:\n  - {number: \"050\", password: x}\nsubscriber_ranges:\n  - {from: \"0000\", to: \"0099\", password: p}\n  - {from: \"051\", to: \"099\", password: p}\nsip: {t1: 0s}\n",
			`pbx.yaml:6: sip.t1: must be greater than 0, got 0s`},
		{"password missing", "subscribers:\n  - number: \"2000\"\n",
			`pbx.yaml:2: subscribers[0]: a password is required unless static contacts are given`},
		{"unknown realm", "subscribers:\n  - number: \"2000\"\n    password: x\n    realm: other\n",
			`pbx.yaml:4: subscribers[0].realm: unknown realm "other" (not in auth.realms)`},
		{"subscriber redirect", "subscribers:\n  - number: \"2000\"\n    password: x\n    redirect: yes\n",
			`pbx.yaml:4: subscribers[0].redirect: unknown redirect "yes" (want "", off, 301 or 302)`},
		{"contact scheme", "subscribers:\n  - number: \"2000\"\n    contacts: [\"tel:+15551234\"]\n",
			`pbx.yaml:3: subscribers[0].contacts[0]: contact "tel:+15551234" must be a sip: URI`},
		{"contact garbage", "subscribers:\n  - number: \"2000\"\n    contacts: [\"2000@127.0.0.1\"]\n",
			`pbx.yaml:3: subscribers[0].contacts[0]: contact "2000@127.0.0.1" must be a sip: URI`},
		{"contact no host", "subscribers:\n  - number: \"2000\"\n    contacts: [\"sip:2000@\"]\n",
			`pbx.yaml:3: subscribers[0].contacts[0]: contact "sip:2000@" has no host`},
		{"contact angle", "subscribers:\n  - number: \"2000\"\n    contacts: [\"<sip:2000@h>\"]\n",
			`pbx.yaml:3: subscribers[0].contacts[0]: contact "<sip:2000@h>" may not contain spaces, control characters, quotes or angle brackets`},
		{"display name control", "subscribers:\n  - number: \"2000\"\n    password: x\n    display_name: \"a\\nb\"\n",
			`pbx.yaml:4: subscribers[0].display_name: "a\nb" may not contain control characters`},
		// ranges
		{"range from not digits", "subscriber_ranges:\n  - {from: \"1x\", to: \"19\", password: p}\n",
			`pbx.yaml:2: subscriber_ranges[0].from: number "1x" must be digits only`},
		{"range to missing", "subscriber_ranges:\n  - from: \"10\"\n    password: p\n",
			`pbx.yaml:2: subscriber_ranges[0].to: number is required`},
		{"range width", "subscriber_ranges:\n  - from: \"100\"\n    to: \"1000\"\n    password: p\n",
			`pbx.yaml:3: subscriber_ranges[0].to: from "100" and to "1000" must have the same number of digits`},
		{"range reversed", "subscriber_ranges:\n  - from: \"1099\"\n    to: \"1000\"\n    password: p\n",
			`pbx.yaml:3: subscriber_ranges[0].to: from "1099" is greater than to "1000"`},
		{"range too long", "subscriber_ranges:\n  - {from: \"1" + strings.Repeat("0", 18) + "\", to: \"1" + strings.Repeat("0", 18) + "\", password: p}\n",
			`pbx.yaml:2: subscriber_ranges[0].from: number "1` + strings.Repeat("0", 18) + `" is longer than 18 digits` + "\n" +
				`pbx.yaml:2: subscriber_ranges[0].to: number "1` + strings.Repeat("0", 18) + `" is longer than 18 digits`},
		{"range password", "subscriber_ranges:\n  - {from: \"10\", to: \"19\"}\n",
			`pbx.yaml:2: subscriber_ranges[0].password: password is required ("{n}" is replaced by the number)`},
		{"ranges overlap", "subscriber_ranges:\n  - {from: \"1000\", to: \"1099\", password: p}\n  - {from: \"2000\", to: \"2099\", password: p}\n  - {from: \"1099\", to: \"1100\", password: p}\n",
			`pbx.yaml:4: subscriber_ranges[2]: 1099-1100 overlaps subscriber_ranges[0] (1000-1099)`},
		{"range inside range", "subscriber_ranges:\n  - {from: \"1040\", to: \"1050\", password: p}\n  - {from: \"1000\", to: \"1099\", password: p}\n",
			`pbx.yaml:3: subscriber_ranges[1]: 1000-1099 overlaps subscriber_ranges[0] (1040-1050)`},
		{"too many", "subscriber_ranges:\n  - {from: \"0000000\", to: \"1000000\", password: p}\n",
			`pbx.yaml:1: subscriber_ranges: too many subscribers (more than 1000000)`},
		// trusted peers
		{"peer name", "trusted_peers:\n  - address: 10.0.0.1\n",
			`pbx.yaml:2: trusted_peers[0].name: peer name is required`},
		{"peer duplicate", "trusted_peers:\n  - {name: a, address: 10.0.0.1}\n  - {name: a, address: 10.0.0.2}\n",
			`pbx.yaml:3: trusted_peers[1].name: duplicate peer "a" (also trusted_peers[0])`},
		{"peer address", "trusted_peers:\n  - name: a\n    address: sipp.local\n",
			`pbx.yaml:3: trusted_peers[0].address: address "sipp.local" is not an IP or CIDR`},
		{"peer cidr", "trusted_peers:\n  - name: a\n    address: 10.0.0.0/33\n",
			`pbx.yaml:3: trusted_peers[0].address: address "10.0.0.0/33" is not an IP or CIDR`},
		// dns
		{"dns server name", "dns:\n  servers: [\"127.0.0.1:5353\", ns.example]\n",
			`pbx.yaml:2: dns.servers[1]: "ns.example" is not an IP address or IP:port`},
		{"dns timeout", "dns:\n  timeout: 0s\n",
			`pbx.yaml:2: dns.timeout: must be greater than 0, got 0s`},
		{"dns unknown field", "dns:\n  server: 127.0.0.1\n",
			`pbx.yaml:2: dns: unknown field "server" (did you mean "servers"?)`},
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
		})
	}
}

func TestValidateWithoutSource(t *testing.T) {
	c := Defaults()
	c.SIP.Listen = append(c.SIP.Listen, "udp:[::1]:70000")
	c.Registrar.MinExpires = 1500 * time.Millisecond
	err := c.Validate()
	want := strings.Join([]string{
		`sip.listen[2]: port "70000" out of range (want 0-65535)`,
		`registrar.min_expires: 1.5s is not a whole number of seconds`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Fatalf("Validate() =\n%v\nwant\n%s", err, want)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "sip.listen[2]" || fe.Line != 0 {
		t.Errorf("first FieldError = %+v", fe)
	}
}

func TestValidateAfterParseKeepsLines(t *testing.T) {
	c, err := Parse("pbx.yaml", []byte("log:\n  level: info\n"))
	if err != nil {
		t.Fatal(err)
	}
	c.Log.Level = "chatty" // changed in Go after parsing
	c.Call.MaxForwards = 300
	want := strings.Join([]string{
		`pbx.yaml: call.max_forwards: must be between 1 and 255, got 300`,
		`pbx.yaml:2: log.level: unknown level "chatty" (want debug, info, warn or error)`,
	}, "\n")
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Fatalf("Validate() =\n%v\nwant\n%s", err, want)
	}
}
