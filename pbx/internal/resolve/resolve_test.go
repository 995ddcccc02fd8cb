package resolve_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/internal/testdns"
	"pbxlab/pbx/internal/resolve"
)

func TestLookup(t *testing.T) {
	srv := testdns.Start(t, zone...)
	srv.Silent("slow.test")
	srv.Fail("broken.test")
	r := newResolver(t, srv)
	for _, tc := range []struct {
		name, host, transport string
		want                  []string
		err                   error
	}{
		{"IPv4 literal", "192.0.2.1", "", []string{"udp:192.0.2.1:5060"}, nil},
		{"IPv4 literal with port and transport", "192.0.2.1:5070", "tcp", []string{"tcp:192.0.2.1:5070"}, nil},
		{"IPv6 literal", "[2001:db8::1]", "", []string{"udp:[2001:db8::1]:5060"}, nil},
		{"IPv6 literal with port", "[2001:db8::1]:5070", "udp", []string{"udp:[2001:db8::1]:5070"}, nil},
		{"explicit port: A/AAAA only", "srv.test:5099", "", nil, resolve.ErrNotFound},
		{"explicit port on a name with A", "plain.test:5099", "tcp", []string{"tcp:192.0.2.20:5099"}, nil},
		{"NAPTR order: TCP first, SIPS skipped", "naptr.test", "", []string{"tcp:192.0.2.10:5070", "udp:192.0.2.11:5080"}, nil},
		{"non-terminal NAPTR followed", "hop.test", "", []string{"tcp:192.0.2.10:5070", "udp:192.0.2.11:5080"}, nil},
		{"transport given: SRV for it, no NAPTR", "naptr.test", "udp", []string{"udp:192.0.2.11:5080"}, nil},
		{"no NAPTR: SRV UDP then TCP, by priority, A before AAAA", "srv.test", "", []string{"udp:192.0.2.1:5061", "udp:192.0.2.2:5062", "udp:[2001:db8::2]:5062", "tcp:192.0.2.1:5063"}, nil},
		{"SRV for TCP only", "srv.test", "TCP", []string{"tcp:192.0.2.1:5063"}, nil},
		{"no SRV: A on 5060", "plain.test", "", []string{"udp:192.0.2.20:5060"}, nil},
		{"no SRV: AAAA on 5060", "v6.test", "tcp", []string{"tcp:[2001:db8::6]:5060"}, nil},
		{"CNAME followed", "alias.test", "", []string{"udp:192.0.2.20:5060"}, nil},
		{"trailing dot", "plain.test.", "", []string{"udp:192.0.2.20:5060"}, nil},
		{"NXDOMAIN", "nosuch.test", "", nil, resolve.ErrNotFound},
		{"CNAME loop", "loop1.test", "", nil, resolve.ErrLoop},
		{"NAPTR replacement loop", "nloop.test", "", nil, resolve.ErrLoop},
		{"SRV target without address record", "empty.test", "", nil, resolve.ErrNoAddress},
		{"SRV target NXDOMAIN", "nowhere.test", "", nil, resolve.ErrNoAddress},
		{"SRV target loops", "srvloop.test", "udp", nil, resolve.ErrLoop},
		{"SRV target . (not available)", "dot.test", "udp", nil, resolve.ErrNotFound},
		{"server silent", "slow.test", "", nil, resolve.ErrTimeout},
		{"SERVFAIL", "broken.test", "", nil, resolve.ErrServer},
		{"bad host", "bad host", "", nil, resolve.ErrBadHost},
		{"bad port", "plain.test:99999", "", nil, resolve.ErrBadHost},
		{"bad transport", "plain.test", "sctp", nil, resolve.ErrBadHost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := lookup(t, r, tc.host, tc.transport)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("Lookup(%q, %q) = %v, %v; want error %v", tc.host, tc.transport, strs(got), err, tc.err)
				}
				return
			}
			if err != nil || !slices.Equal(strs(got), tc.want) {
				t.Fatalf("Lookup(%q, %q) = %v, %v; want %v", tc.host, tc.transport, strs(got), err, tc.want)
			}
		})
	}
}

// The error names the cause: the record that loops, the target without an
// address.
func TestLookupErrorSaysWhy(t *testing.T) {
	srv := testdns.Start(t, zone...)
	r := newResolver(t, srv)
	for host, want := range map[string]string{
		"loop1.test":   "CNAME chain comes back to loop1.test.",
		"nloop.test":   "NAPTR replacement comes back to nloop.test.",
		"empty.test":   "noaddr.test. has no A or AAAA record",
		"nowhere.test": "A missing.test.: NXDOMAIN",
	} {
		_, err := lookup(t, r, host, "")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Lookup(%s) error %v; want it to say %q", host, err, want)
		}
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || len(s) >= len(sub) && (s[:len(sub)] == sub || contains(s[1:], sub))
}

// What DNS said is kept for the smallest TTL of the records used, then
// asked again.
func TestLookupCachesPerTTL(t *testing.T) {
	srv := testdns.Start(t,
		"_sip._udp.ttl.test. 60 IN SRV 10 0 5060 a.ttl.test.",
		"a.ttl.test. 30 IN A 192.0.2.30",
	)
	clk := clock.NewFake(time.Unix(1_000_000, 0))
	r := newResolver(t, srv, resolve.WithClock(clk))
	for range 3 {
		if _, err := lookup(t, r, "ttl.test", "udp"); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Queries("_sip._udp.ttl.test", "SRV"); n != 1 {
		t.Fatalf("SRV asked %d times within the TTL, want 1", n)
	}
	clk.Advance(29 * time.Second)
	_, _ = lookup(t, r, "ttl.test", "udp")
	if n := srv.Queries("a.ttl.test", "A"); n != 1 {
		t.Fatalf("A asked %d times before the 30 s TTL ran out, want 1", n)
	}
	clk.Advance(time.Second)
	if _, err := lookup(t, r, "ttl.test", "udp"); err != nil {
		t.Fatal(err)
	}
	if n := srv.Queries("a.ttl.test", "A"); n != 2 {
		t.Fatalf("A asked %d times after the TTL ran out, want 2", n)
	}
}

// Within one priority the first target is drawn with probability
// weight/sum (RFC 2782); a lower priority always comes first. Checked over
// many draws with a seeded generator, so the test is deterministic.
func TestLookupWeightDistribution(t *testing.T) {
	srv := testdns.Start(t,
		"_sip._udp.w.test. 60 IN SRV 10 60 5060 a.w.test.",
		"_sip._udp.w.test. 60 IN SRV 10 30 5060 b.w.test.",
		"_sip._udp.w.test. 60 IN SRV 10 10 5060 c.w.test.",
		"_sip._udp.w.test. 60 IN SRV 10 0 5060 z.w.test.",
		"_sip._udp.w.test. 60 IN SRV 5 0 5060 first.w.test.",
		"_sip._udp.w.test. 60 IN SRV 90 50 5060 last.w.test.",
		"a.w.test. 60 IN A 192.0.2.1",
		"b.w.test. 60 IN A 192.0.2.2",
		"c.w.test. 60 IN A 192.0.2.3",
		"z.w.test. 60 IN A 192.0.2.4",
		"first.w.test. 60 IN A 192.0.2.5",
		"last.w.test. 60 IN A 192.0.2.6",
	)
	r := newResolver(t, srv, resolve.WithRand(rand.New(rand.NewPCG(42, 7))))
	const n = 20000
	second := map[string]int{}
	for range n {
		ts, err := lookup(t, r, "w.test", "udp")
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != 6 || ts[0].Name != "first.w.test" || ts[5].Name != "last.w.test" {
			t.Fatalf("order %v: want first.w.test first and last.w.test last (priority)", strs(ts))
		}
		second[ts[1].Name]++
	}
	// the 10-priority group: weights 60, 30, 10, 0 over a draw in [0, 100]
	for name, want := range map[string]float64{"a.w.test": 60.0 / 101, "b.w.test": 30.0 / 101, "c.w.test": 10.0 / 101, "z.w.test": 1.0 / 101} {
		got := float64(second[name]) / n
		if got < want-0.02 || got > want+0.02 {
			t.Errorf("%s first in its priority %.3f of the time, want %.3f±0.02", name, got, want)
		}
	}
}

func TestNewRejectsBadServer(t *testing.T) {
	if _, err := resolve.New(resolve.Config{Servers: []string{"dns.example:53"}}); !errors.Is(err, resolve.ErrBadHost) {
		t.Fatalf("New with a named server: %v, want ErrBadHost", err)
	}
	r, err := resolve.New(resolve.Config{Servers: []string{"127.0.0.1", "[::1]:5353"}})
	if err != nil || !slices.Equal(r.Servers(), []string{"127.0.0.1:53", "[::1]:5353"}) {
		t.Fatalf("New: %v, %v", r.Servers(), err)
	}
}

// Without a DNS server (no resolv.conf) IP addresses still resolve; a name
// fails saying why.
func TestLookupWithoutServer(t *testing.T) {
	r, err := resolve.New(resolve.Config{}, resolve.WithResolvConf(t.TempDir()+"/missing.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if ts, err := lookup(t, r, "192.0.2.1:5070", "tcp"); err != nil || len(ts) != 1 {
		t.Fatalf("IP lookup without server: %v, %v", strs(ts), err)
	}
	if _, err := lookup(t, r, "plain.test", ""); !errors.Is(err, resolve.ErrServer) || !strings.Contains(err.Error(), "missing.conf") {
		t.Fatalf("name lookup without server: %v; want ErrServer naming the resolv.conf", err)
	}
}
