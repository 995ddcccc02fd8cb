package resolve_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"pbxlab/internal/testdns"
	"pbxlab/pbx/internal/resolve"
)

// zone is the records every table test's server has.
var zone = []string{
	// NAPTR: TCP preferred (order 10), then UDP; SIPS ignored
	"naptr.test. 300 IN NAPTR 10 50 \"s\" \"SIPS+D2T\" \"\" _sips._tcp.naptr.test.",
	"naptr.test. 300 IN NAPTR 20 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.naptr.test.",
	"naptr.test. 300 IN NAPTR 10 50 \"s\" \"SIP+D2T\" \"\" _sip._tcp.naptr.test.",
	"_sip._tcp.naptr.test. 300 IN SRV 10 0 5070 t1.naptr.test.",
	"_sip._udp.naptr.test. 300 IN SRV 10 0 5080 u1.naptr.test.",
	"t1.naptr.test. 300 IN A 192.0.2.10",
	"u1.naptr.test. 300 IN A 192.0.2.11",
	// SRV only, two priorities
	"_sip._udp.srv.test. 300 IN SRV 20 0 5062 b.srv.test.",
	"_sip._udp.srv.test. 300 IN SRV 10 0 5061 a.srv.test.",
	"_sip._tcp.srv.test. 300 IN SRV 10 0 5063 a.srv.test.",
	"a.srv.test. 300 IN A 192.0.2.1",
	"b.srv.test. 300 IN A 192.0.2.2",
	"b.srv.test. 300 IN AAAA 2001:db8::2",
	// A/AAAA only
	"plain.test. 300 IN A 192.0.2.20",
	"v6.test. 300 IN AAAA 2001:db8::6",
	"alias.test. 300 IN CNAME plain.test.",
	// a non-terminal NAPTR
	"hop.test. 300 IN NAPTR 10 10 \"\" \"\" \"\" naptr.test.",
	// bad answers
	"loop1.test. 300 IN CNAME loop2.test.",
	"loop2.test. 300 IN CNAME loop1.test.",
	"nloop.test. 300 IN NAPTR 10 10 \"\" \"\" \"\" nloop2.test.",
	"nloop2.test. 300 IN NAPTR 10 10 \"\" \"\" \"\" nloop.test.",
	"_sip._udp.nowhere.test. 300 IN SRV 10 0 5060 missing.test.",
	"_sip._udp.empty.test. 300 IN SRV 10 0 5060 noaddr.test.",
	"noaddr.test. 300 IN TXT \"no address\"",
	"_sip._udp.dot.test. 300 IN SRV 0 0 0 .",
	"_sip._udp.srvloop.test. 300 IN SRV 10 0 5060 loop1.test.",
	"slow.test. 300 IN A 192.0.2.99",
	"broken.test. 300 IN A 192.0.2.98",
}

func newResolver(t *testing.T, srv *testdns.Server, opts ...resolve.Option) *resolve.DNS {
	t.Helper()
	opts = append([]resolve.Option{resolve.WithRand(rand.New(rand.NewPCG(1, 2)))}, opts...)
	r, err := resolve.New(resolve.Config{Servers: []string{srv.Addr}, Timeout: 200 * time.Millisecond}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func lookup(t *testing.T, r resolve.Resolver, host, transport string) ([]resolve.Target, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return r.Lookup(ctx, host, transport)
}

func strs(ts []resolve.Target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.String()
	}
	return out
}
