package pbx

import (
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
)

func TestRetryAfter(t *testing.T) {
	for v, want := range map[string]time.Duration{
		"120":                        120 * time.Second,
		" 18000;duration=3600":       5 * time.Hour,
		"120 (I'm in a meeting)":     120 * time.Second,
		"0":                          0,
		"4294967295":                 4294967295 * time.Second,
		"4294967296":                 -1, // beyond delta-seconds' 32 bits
		"":                           -1,
		"soon":                       -1,
		"-5":                         -1,
		"99999999999999999999999":    -1,
		"Mon, 01 Jan 2024 00:00 GMT": -1,
	} {
		got, ok := retryAfter(v)
		if want < 0 {
			if ok {
				t.Errorf("%q: %s, want refused", v, got)
			}
			continue
		}
		if !ok || got != want {
			t.Errorf("%q: %s %v, want %s", v, got, ok, want)
		}
	}
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "18000;duration=3600", "1 (x)", "", "x", "4294967296"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := retryAfter(v)
		if ok && (d < 0 || d > (1<<32-1)*time.Second) {
			t.Fatalf("%q: %s", v, d)
		}
		if ok && !strings.ContainsAny(v, "0123456789") {
			t.Fatalf("%q accepted without digits", v)
		}
	})
}

// TestRouteFailure: what the caller of a failed route gets (RFC 3261
// §16.7 (6)): a carrier's 503 becomes 500, no answer at all 480, the rest
// passes.
func TestRouteFailure(t *testing.T) {
	network := func(code int) *sip.Response {
		r := sip.NewResponse(code, "Carrier")
		r.SetSource("192.0.2.1:5060")
		return r
	}
	for _, tc := range []struct {
		name string
		in   *sip.Response
		want int
		kind call.FailureKind
	}{
		{"nothing sent", nil, 480, call.Unreachable},
		{"Timer B", sip.NewResponse(408, "Request Timeout"), 480, call.NoAnswer},
		{"transport error", sip.NewResponse(503, "Service Unavailable"), 480, call.NoAnswer},
		{"carrier 503", network(503), 500, call.Rejected},
		{"carrier 408", network(408), 408, call.NoAnswer},
		{"carrier 486", network(486), 486, call.Busy},
		{"carrier 502", network(502), 502, call.Rejected},
		{"carrier 404", network(404), 404, call.Rejected},
		{"carrier 407", network(407), 500, call.Rejected},
		{"carrier 401", network(401), 500, call.Rejected},
	} {
		kind := call.Rejected
		if tc.in != nil {
			switch tc.in.StatusCode {
			case 486:
				kind = call.Busy
			case 408:
				kind = call.NoAnswer
			}
		}
		got := routeFailure(call.Failure{Kind: kind, Response: tc.in})
		if got.Response == nil || got.Response.StatusCode != tc.want || got.Kind != tc.kind {
			t.Errorf("%s: %v kind %s, want %d kind %s", tc.name, got.Response, got.Kind, tc.want, tc.kind)
		}
		if got.Response != nil && got.Response.StatusCode == 503 {
			t.Errorf("%s: 503 reaches the caller", tc.name)
		}
	}
}

func TestRouteOrder(t *testing.T) {
	r := &route{cfg: config.Route{Name: "r", Peers: []string{"a", "b", "c"}, Spread: config.SpreadRoundRobin}}
	var got []string
	for range 4 {
		got = append(got, strings.Join(r.order(), ""))
	}
	if strings.Join(got, " ") != "abc bca cab abc" {
		t.Errorf("round robin: %v", got)
	}
	o := &route{cfg: config.Route{Name: "o", Peers: []string{"a", "b"}}}
	if strings.Join(o.order(), "")+strings.Join(o.order(), "") != "abab" {
		t.Error("ordered route changed its order")
	}
}
