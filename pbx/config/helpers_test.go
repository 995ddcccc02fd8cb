package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"reflect"
	"testing"
)

func TestSubscribersExpansion(t *testing.T) {
	c, err := Parse("pbx.yaml", []byte(`
auth:
  realms: [{name: main}, {name: other}]
subscribers:
  - number: "2000"
    password: secret
    contacts: ["sip:2000@127.0.0.1:5070"]
    redirect: 301
  - number: "2001"
    password: "{n}"
    realm: other
subscriber_ranges:
  - {from: "1000", to: "1002", password: "demo{n}"}
  - {from: "0098", to: "0101", password: "p{n}-{n}"}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := c.Subscribers()
	want := []Subscriber{
		{Number: "2000", Password: "secret", Realm: "main", Redirect: RedirectPermanent, Contacts: []string{"sip:2000@127.0.0.1:5070"}},
		{Number: "2001", Password: "{n}", Realm: "other"}, // {n} is only substituted in ranges
		{Number: "1000", Password: "demo1000", Realm: "main"},
		{Number: "1001", Password: "demo1001", Realm: "main"},
		{Number: "1002", Password: "demo1002", Realm: "main"},
		{Number: "0098", Password: "p0098-0098", Realm: "main"},
		{Number: "0099", Password: "p0099-0099", Realm: "main"},
		{Number: "0100", Password: "p0100-0100", Realm: "main"},
		{Number: "0101", Password: "p0101-0101", Realm: "main"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Subscribers() =\n%+v\nwant\n%+v", got, want)
	}
	// The result is a copy.
	got[0].Contacts[0] = "changed"
	if c.ExplicitSubscribers[0].Contacts[0] != "sip:2000@127.0.0.1:5070" {
		t.Error("Subscribers() shares contact slices with the Config")
	}
	if r := c.RedirectFor(got[0]); r != RedirectPermanent {
		t.Errorf("RedirectFor(2000) = %q", r)
	}
	c.Call.Redirect = RedirectTemporary
	if r := c.RedirectFor(got[2]); r != RedirectTemporary {
		t.Errorf("RedirectFor(1000) = %q, want the global 302", r)
	}
}

func TestSubscribersLargeRange(t *testing.T) {
	c := Defaults()
	c.SubscriberRanges = []SubscriberRange{{From: "100000", To: "199999", Password: "pw{n}"}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	subs := c.Subscribers()
	if len(subs) != 100_000 {
		t.Fatalf("len = %d, want 100000", len(subs))
	}
	if last := subs[len(subs)-1]; last.Number != "199999" || last.Password != "pw199999" {
		t.Errorf("last = %+v", last)
	}
}

func TestSubscribersCapped(t *testing.T) {
	c := Defaults() // not validated: too many numbers
	c.SubscriberRanges = []SubscriberRange{{From: "00000000", To: "99999999", Password: "p"}, {From: "x", To: "y"}}
	if n := len(c.Subscribers()); n != MaxSubscribers {
		t.Errorf("len = %d, want MaxSubscribers", n)
	}
}

func TestListen(t *testing.T) {
	c := Defaults()
	c.SIP.Listen = []string{"udp:127.0.0.1:5060", "tcp:[::1]:0", "udp:[fe80::1%lo]:5060", "bogus"}
	got := c.Listen()
	want := []ListenAddr{
		{Transport: "udp", AddrPort: netip.MustParseAddrPort("127.0.0.1:5060")},
		{Transport: "tcp", AddrPort: netip.MustParseAddrPort("[::1]:0")},
		{Transport: "udp", AddrPort: netip.MustParseAddrPort("[fe80::1%lo]:5060")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Listen() = %v, want %v", got, want)
	}
	if s := got[1].String(); s != "tcp:[::1]:0" {
		t.Errorf("String() = %q", s)
	}
}

// TestListenAdvertise: the Kamailio-style "advertise" suffix of a listen
// entry, with and without a port, IPv4 and IPv6; String gives the entry
// back in its canonical form.
func TestListenAdvertise(t *testing.T) {
	for _, tc := range []struct {
		in, str string
		bind    string
		adv     netip.AddrPort
	}{
		{"udp:0.0.0.0:5060 advertise 203.0.113.5:5070", "", "0.0.0.0:5060", netip.MustParseAddrPort("203.0.113.5:5070")},
		{"tcp:0.0.0.0:0   advertise   203.0.113.5", "tcp:0.0.0.0:0 advertise 203.0.113.5", "0.0.0.0:0", netip.AddrPortFrom(netip.MustParseAddr("203.0.113.5"), 0)},
		{"udp:[::]:5060 advertise [2001:db8::5]:5080", "", "[::]:5060", netip.MustParseAddrPort("[2001:db8::5]:5080")},
		{"udp:[::]:5060 advertise 2001:db8::5", "", "[::]:5060", netip.AddrPortFrom(netip.MustParseAddr("2001:db8::5"), 0)},
		{"udp:[::]:5060 advertise [2001:db8::5]", "udp:[::]:5060 advertise 2001:db8::5", "[::]:5060", netip.AddrPortFrom(netip.MustParseAddr("2001:db8::5"), 0)},
		{"udp:[::ffff:127.0.0.1]:5060 advertise 127.0.0.2", "", "[::ffff:127.0.0.1]:5060", netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), 0)},
		{"udp:127.0.0.1:5060", "", "127.0.0.1:5060", netip.AddrPort{}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			la, err := ParseListenAddr(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if la.AddrPort != netip.MustParseAddrPort(tc.bind) || la.Advertise != tc.adv {
				t.Errorf("parsed %+v, want bind %s advertise %s", la, tc.bind, tc.adv)
			}
			want := tc.str
			if want == "" {
				want = tc.in
			}
			if got := la.String(); got != want {
				t.Errorf("String() = %q, want %q", got, want)
			}
			again, err := ParseListenAddr(la.String())
			if err != nil || again != la {
				t.Errorf("String() does not parse back: %+v, %v", again, err)
			}
		})
	}
}

func TestRequireLoopbackForDemo(t *testing.T) {
	tests := []struct {
		listen  []string
		exposed bool
	}{
		{[]string{"udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"}, false},
		{[]string{"udp:[::1]:5060"}, false},
		{[]string{"udp:127.0.0.2:0", "tcp:[::ffff:127.0.0.1]:5060"}, false},
		{[]string{"udp:0.0.0.0:5060"}, true},
		{[]string{"udp:127.0.0.1:5060", "tcp:192.0.2.1:5060"}, true},
		{[]string{"udp:[::]:5060"}, true},
		{[]string{"udp:[2001:db8::1]:5060"}, true},
		{[]string{"garbage"}, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.listen), func(t *testing.T) {
			c := Demo()
			c.SIP.Listen = tt.listen
			err := c.RequireLoopbackForDemo()
			if got := errors.Is(err, ErrDemoCredentialsExposed); got != tt.exposed {
				t.Errorf("RequireLoopbackForDemo() = %v, want exposed=%v", err, tt.exposed)
			}
			// Without demo credentials any address is fine.
			c.SubscriberRanges[0].Password = "pw{n}"
			if err := c.RequireLoopbackForDemo(); err != nil {
				t.Errorf("non-demo config: %v", err)
			}
		})
	}
}

func TestIsDemoCredentials(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want bool
	}{
		{"demo", func(*Config) {}, true},
		{"other range password", func(c *Config) { c.SubscriberRanges[0].Password = "pw{n}" }, false},
		{"no subscribers", func(c *Config) { c.SubscriberRanges = nil }, false},
		{"explicit demo password", func(c *Config) {
			c.SubscriberRanges = nil
			c.ExplicitSubscribers = []Subscriber{{Number: "2000", Password: "demo2000"}}
		}, true},
		{"explicit other password", func(c *Config) {
			c.SubscriberRanges = nil
			c.ExplicitSubscribers = []Subscriber{{Number: "2000", Password: "demo2001"}}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Demo()
			tt.mod(c)
			if got := c.IsDemoCredentials(); got != tt.want {
				t.Errorf("IsDemoCredentials() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRealms(t *testing.T) {
	c := Defaults()
	c.Auth.Realms = []Realm{{Name: "a", Algorithms: []Algorithm{AlgorithmSHA256}}, {Name: "b", Algorithms: []Algorithm{AlgorithmMD5}}}
	if r := c.DefaultRealm(); r.Name != "a" || !reflect.DeepEqual(r.Algorithms, []Algorithm{AlgorithmSHA256}) {
		t.Errorf("DefaultRealm() = %+v", r)
	}
	c.DefaultRealm().Algorithms[0] = AlgorithmMD5
	if c.Auth.Realms[0].Algorithms[0] != AlgorithmSHA256 {
		t.Error("DefaultRealm shares its algorithms with the Config")
	}
	if r, ok := c.LookupRealm("b"); !ok || r.Name != "b" {
		t.Errorf("LookupRealm(b) = %+v, %v", r, ok)
	}
	if _, ok := c.LookupRealm("c"); ok {
		t.Error("LookupRealm(c) found a realm")
	}
	c.Auth.Realms = nil
	if r := c.DefaultRealm(); r.Name != DefaultRealmName {
		t.Errorf("DefaultRealm() without realms = %+v", r)
	}
}

func TestTrustedPeerContains(t *testing.T) {
	tests := []struct {
		address string
		addr    string
		want    bool
	}{
		{"127.0.0.2", "127.0.0.2", true},
		{"127.0.0.2", "127.0.0.3", false},
		{"127.0.0.2", "::ffff:127.0.0.2", true},
		{"192.0.2.0/24", "192.0.2.77", true},
		{"192.0.2.9/24", "192.0.2.77", true}, // host bits are ignored
		{"192.0.2.0/24", "192.0.3.1", false},
		{"2001:db8::/32", "2001:db8::5", true},
		{"bogus", "127.0.0.1", false},
	}
	for _, tt := range tests {
		p := TrustedPeer{Name: "p", Address: tt.address}
		if got := p.Contains(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("%s.Contains(%s) = %v, want %v", tt.address, tt.addr, got, tt.want)
		}
	}
}

func TestSmallHelpers(t *testing.T) {
	for r, code := range map[Redirect]int{RedirectOff: 0, RedirectInherit: 0, RedirectPermanent: 301, RedirectTemporary: 302} {
		if got := r.StatusCode(); got != code {
			t.Errorf("Redirect(%q).StatusCode() = %d, want %d", r, got, code)
		}
	}
	for level, want := range map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError} {
		if got := (Log{Level: level}).SlogLevel(); got != want {
			t.Errorf("SlogLevel(%s) = %v", level, got)
		}
	}
}
