package resolve

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// FuzzLookupAnswer feeds arbitrary DNS messages (what a server sends) to a
// lookup as the answer to every query: whatever they say, Lookup returns
// targets or an error wrapping a sentinel, and never hangs or panics.
func FuzzLookupAnswer(f *testing.F) {
	for _, rrs := range [][]string{
		{"x.test. 60 IN NAPTR 10 10 \"s\" \"SIP+D2U\" \"\" x.test."},
		{"x.test. 60 IN NAPTR 10 10 \"\" \"\" \"\" x.test."},
		{"x.test. 60 IN CNAME x.test."},
		{"x.test. 60 IN SRV 10 10 5060 x.test.", "x.test. 60 IN A 192.0.2.1"},
		{"x.test. 60 IN AAAA 2001:db8::1"},
	} {
		m := new(dns.Msg)
		m.SetQuestion("x.test.", dns.TypeA)
		for _, s := range rrs {
			rr, err := dns.NewRR(s)
			if err != nil {
				f.Fatal(err)
			}
			m.Answer = append(m.Answer, rr)
		}
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "")
		f.Add(b, "udp")
	}
	f.Fuzz(func(t *testing.T, wire []byte, transport string) {
		d, err := New(Config{Servers: []string{"127.0.0.1:1"}})
		if err != nil {
			t.Fatal(err)
		}
		queries := 0
		d.exchange = func(_ context.Context, q *dns.Msg) (*dns.Msg, error) {
			if queries++; queries > 1000 {
				t.Fatalf("more than 1000 queries for one lookup")
			}
			r := new(dns.Msg)
			if err := r.Unpack(wire); err != nil {
				return nil, ErrServer
			}
			// the answer's records are renamed to what was asked when
			// they carry the fuzzed message's own question name
			if len(r.Question) == 1 {
				for _, rr := range r.Answer {
					if rr.Header().Name == r.Question[0].Name {
						rr.Header().Name = q.Question[0].Name
					}
				}
			}
			return r, nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ts, err := d.Lookup(ctx, "x.test", transport)
		if err != nil {
			for _, s := range []error{ErrNotFound, ErrNoAddress, ErrLoop, ErrTimeout, ErrServer, ErrBadHost} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("Lookup error %v wraps no sentinel", err)
		}
		if len(ts) == 0 {
			t.Fatal("Lookup returned neither targets nor an error")
		}
		for _, tg := range ts {
			if !tg.Addr.IsValid() || (tg.Transport != UDP && tg.Transport != TCP) {
				t.Fatalf("bad target %+v", tg)
			}
		}
	})
}

// FuzzSplitHost: a host from a URI or the configuration is split or
// refused, never panics, and what it returns splits again to itself.
func FuzzSplitHost(f *testing.F) {
	for _, s := range []string{"example.com", "example.com:5060", "[::1]", "[::1]:5", "1.2.3.4", "a..b", "[fe80::1%eth0]:5060", ":", "x:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		host, port, err := SplitHost(s)
		if err != nil {
			if !errors.Is(err, ErrBadHost) {
				t.Fatalf("SplitHost(%q) error %v is not ErrBadHost", s, err)
			}
			return
		}
		if port < 0 || port > 65535 || host == "" {
			t.Fatalf("SplitHost(%q) = %q, %d", s, host, port)
		}
		h2, _, err := SplitHost(host)
		if err != nil || h2 != host {
			t.Fatalf("SplitHost(%q) = %q, but %q splits to %q, %v", s, host, host, h2, err)
		}
	})
}

// FuzzParseService: only SIP+D2U and SIP+D2T (any case) are ours.
func FuzzParseService(f *testing.F) {
	for _, s := range []string{"SIP+D2U", "sip+d2t", "SIPS+D2T", "E2U+sip", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tr, ok := ParseService(s)
		if ok != (tr == UDP || tr == TCP) {
			t.Fatalf("ParseService(%q) = %q, %v", s, tr, ok)
		}
		if ok && len(s) != 7 {
			t.Fatalf("ParseService(%q) accepted a service that is not SIP+D2x", s)
		}
	})
}
