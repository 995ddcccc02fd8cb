package config

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestParseTrunk(t *testing.T) {
	c, err := Parse("pbx.yaml", []byte(`
numbering:
  devices:
    - {name: carrier, kind: peer}
peers:
  - name: carrier
    host: 192.0.2.10
    port: 5080
    username: pbx01
    password: s3cret
    register: {expires: 10m, retry: 45s, contact_user: trunk1}
    acl: [192.0.2.0/24, "2001:db8::1", "198.51.100.7:5070"]
    context: from-carrier
    device: carrier
    caller_id: {pai: true, from_user: "861012345600"}
  - {name: quiet, host: 192.0.2.20}
  - {name: other, host: 192.0.2.30, inbound: true, transit: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Peers[0]
	for _, tc := range []struct {
		what      string
		got, want any
	}{
		{"registering", p.Registering(), true},
		{"inbound", p.Inbound(), true},
		{"register user (username)", p.RegisterUser(), "pbx01"},
		{"contact user", p.RegisterContactUser(), "trunk1"},
		{"expires", p.RegisterExpires(), 10 * time.Minute},
		{"retry", p.RegisterRetry(), 45 * time.Second},
		{"context", p.NumberingContext(), "from-carrier"},
		{"device", p.Device, "carrier"},
		{"pai", p.CallerID.PAI, true},
		{"from user", p.CallerID.FromUser, "861012345600"},
		{"acl", len(p.ACLEntries()), 3},
		{"acl v6", p.ACLEntries()[1], ACLEntry{Prefix: netip.MustParsePrefix("2001:db8::1/128")}},
		{"acl cidr admits any port", p.ACLEntries()[0].Admits(netip.MustParseAddrPort("192.0.2.77:40000")), true},
		{"acl ip:port", p.ACLEntries()[2], ACLEntry{Prefix: netip.MustParsePrefix("198.51.100.7/32"), Port: 5070}},
		{"acl ip:port admits its port", p.ACLEntries()[2].Admits(netip.MustParseAddrPort("198.51.100.7:5070")), true},
		{"acl ip:port refuses another", p.ACLEntries()[2].Admits(netip.MustParseAddrPort("198.51.100.7:5060")), false},
		{"quiet: not registering", c.Peers[1].Registering(), false},
		{"quiet: not inbound", c.Peers[1].Inbound(), false},
		{"quiet: default context", c.Peers[1].NumberingContext(), "default"},
		{"quiet: default expires", c.Peers[1].RegisterExpires(), DefaultTrunkExpires},
		{"quiet: default retry", c.Peers[1].RegisterRetry(), DefaultTrunkRetry},
		{"other: inbound", c.Peers[2].Inbound(), true},
		{"other: transit", c.Peers[2].Transit, true},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %v, want %v", tc.what, tc.got, tc.want)
		}
	}
	// a registration's user and contact user default to the username
	c2, err := Parse("pbx.yaml", []byte(`
peers:
  - {name: c, host: carrier.example, username: u1, password: p, register: {}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if p := c2.Peers[0]; p.RegisterUser() != "u1" || p.RegisterContactUser() != "u1" || p.RegisterExpires() != time.Hour {
		t.Errorf("defaults: user %q contact %q expires %s", p.RegisterUser(), p.RegisterContactUser(), p.RegisterExpires())
	}
}

// TestTrunkErrorsNameTheirField: every bad trunk field is refused at its
// path (and line).
func TestTrunkErrorsNameTheirField(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"register without credentials", `
peers:
  - name: c
    host: 192.0.2.1
    register: {user: u}
`, "peers[0].username: a registration needs username and password"},
		{"short expires", `
peers:
  - {name: c, host: 192.0.2.1, username: u, password: p, register: {expires: -60}}
`, "pbx.yaml:3: peers[0].register.expires: must be at least 1s"},
		{"short retry", `
peers:
  - {name: c, host: 192.0.2.1, username: u, password: p, register: {retry: 10ms}}
`, "peers[0].register.retry: must be at least 1s"},
		{"bad contact user", `
peers:
  - {name: c, host: 192.0.2.1, username: u, password: p, register: {contact_user: "a b"}}
`, "peers[0].register.contact_user"},
		{"bad domain", `
peers:
  - {name: c, host: 192.0.2.1, username: u, password: p, register: {domain: "x@y"}}
`, "peers[0].register.domain"},
		{"bad acl", `
peers:
  - {name: c, host: 192.0.2.1, acl: [192.0.2.0/24, nope]}
`, `peers[0].acl[1]: "nope" is not an IP address, IP:port or CIDR`},
		{"unknown device", `
peers:
  - {name: c, host: 192.0.2.1, device: carrier}
`, `peers[0].device: unknown device "carrier"`},
		{"bad from user", `
peers:
  - {name: c, host: 192.0.2.1, caller_id: {from_user: "<x>"}}
`, "peers[0].caller_id.from_user"},
		{"unknown register field", `
peers:
  - {name: c, host: 192.0.2.1, username: u, password: p, register: {expire: 60s}}
`, "peers[0].register"},
	} {
		_, err := Parse("pbx.yaml", []byte(tc.yaml))
		var fe *FieldError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a field error containing %q", tc.name, err, tc.want)
		}
	}
}
