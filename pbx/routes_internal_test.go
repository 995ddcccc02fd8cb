package pbx

import (
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones of the schedules, whatever the host has

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
	for _, tc := range []struct {
		name  string
		route config.Route
		want  string // the orders of four calls in a row
	}{
		{"ordered", config.Route{Peers: []string{"a", "b", "c"}}, "abc abc abc abc"},
		{"round robin", config.Route{Peers: []string{"a", "b", "c"}, Spread: config.SpreadRoundRobin}, "abc bca cab abc"},
		{"round robin of one", config.Route{Peers: []string{"a"}, Spread: config.SpreadRoundRobin}, "a a a a"},
		{"weighted keeps the configured order (weighFirst draws)", config.Route{Peers: []string{"a", "b"}, Spread: config.SpreadWeighted,
			Weights: map[string]int{"a": 1, "b": 9}}, "ab ab ab ab"},
	} {
		s := &Server{log: slog.New(slog.DiscardHandler)}
		r := s.newRoute(tc.route)
		var got []string
		for range 4 {
			got = append(got, strings.Join(r.at(time.Time{}).order(), ""))
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, got, tc.want)
		}
	}
}

// TestWeighFirst: with weights a:3 b:1 c:0... the first target is drawn
// in proportion to the weights, the others keep their order; targets
// that cannot take the call are not in the draw.
func TestWeighFirst(t *testing.T) {
	targets := func(peers ...string) []call.Target {
		out := make([]call.Target, 0, len(peers))
		for _, p := range peers {
			out = append(out, call.Target{Peer: p})
		}
		return out
	}
	names := func(ts []call.Target) string {
		var b strings.Builder
		for _, t := range ts {
			b.WriteString(t.Peer)
		}
		return b.String()
	}
	ps := &peerSet{peers: []string{"a", "b", "c"}, spread: config.SpreadWeighted, weights: map[string]int{"a": 6, "b": 3, "c": 1}}
	d := &drawer{r: rand.New(rand.NewPCG(1, 2))}
	const n = 10000
	orders := map[string]int{}
	for range n {
		ts := targets("a", "b", "c")
		ps.weighFirst(ts, d)
		orders[names(ts)]++
	}
	if len(orders) != 3 || orders["abc"]+orders["bac"]+orders["cab"] != n {
		t.Fatalf("orders %v: want abc, bac and cab only (the rest in their configured order)", orders)
	}
	// 6:3:1 of 10000 draws, each count within 5 standard deviations
	for order, want := range map[string]float64{"abc": 0.6, "bac": 0.3, "cab": 0.1} {
		sd := math.Sqrt(n * want * (1 - want))
		if got := float64(orders[order]); math.Abs(got-n*want) > 5*sd {
			t.Errorf("%s first %v times, want about %v", order[:1], got, n*want)
		}
	}
	// b down: a and c share the first attempts 6:1, b's share goes to neither in particular
	orders = map[string]int{}
	for range n {
		ts := targets("a", "c")
		ps.weighFirst(ts, d)
		orders[names(ts)]++
	}
	if want := n * 6.0 / 7; math.Abs(float64(orders["ac"])-want) > 5*math.Sqrt(n*6.0/7*1/7) {
		t.Errorf("b down: a first %d times of %d, want about %.0f", orders["ac"], n, want)
	}
	// the same seed draws the same orders
	a, b := &drawer{r: rand.New(rand.NewPCG(7, 7))}, &drawer{r: rand.New(rand.NewPCG(7, 7))}
	for range 100 {
		x, y := targets("a", "b", "c"), targets("a", "b", "c")
		ps.weighFirst(x, a)
		ps.weighFirst(y, b)
		if names(x) != names(y) {
			t.Fatal("one seed, two orders")
		}
	}
}

// TestRouteScheduleChoice: the first schedule that matches the time
// applies, else the route's own peers.
func TestRouteScheduleChoice(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	r := s.newRoute(config.Route{Peers: []string{"night"}, Schedules: []config.RouteSchedule{
		{Name: "office", TimeZone: "Europe/Berlin", Days: []string{"mon-fri"}, Times: []string{"08:00-18:00"}, Peers: []string{"day"}},
		{Name: "saturday", TimeZone: "Europe/Berlin", Days: []string{"sat"}, Times: []string{"09:00-13:00"}, Peers: []string{"weekend"}},
	}})
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 1, 5, 8, 0, 0, 0, berlin), "office:day"},    // Monday 08:00
		{time.Date(2026, 1, 5, 7, 59, 0, 0, berlin), ":night"},       // before
		{time.Date(2026, 1, 9, 17, 59, 59, 0, berlin), "office:day"}, // Friday, last second
		{time.Date(2026, 1, 9, 18, 0, 0, 0, berlin), ":night"},       // Friday 18:00
		{time.Date(2026, 1, 10, 12, 0, 0, 0, berlin), "saturday:weekend"},
		{time.Date(2026, 1, 10, 13, 0, 0, 0, berlin), ":night"},
		{time.Date(2026, 1, 11, 10, 0, 0, 0, berlin), ":night"},      // Sunday
		{time.Date(2026, 7, 6, 6, 30, 0, 0, time.UTC), "office:day"}, // Monday 08:30 summer time in Berlin
		{time.Date(2026, 1, 5, 7, 30, 0, 0, time.UTC), "office:day"}, // Monday 08:30 winter time in Berlin
	} {
		ps := r.at(tc.at)
		if got := ps.label + ":" + strings.Join(ps.peers, ","); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.at, got, tc.want)
		}
	}
}
