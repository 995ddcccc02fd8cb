package config

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRoutes(t *testing.T) {
	c, err := Parse("pbx.yaml", []byte(`
peers:
  - {name: a, host: 192.0.2.1, max_calls: 30, max_calls_per_second: 5}
  - {name: b, host: carrier.example, transport: tcp}
routes:
  - {name: out, peers: [a, b]}
  - {name: rr, peers: [b, a], spread: round_robin}
numbering:
  entries:
    - {prefix: "9", min: 4, kind: route, target: out}
`))
	if err != nil {
		t.Fatal(err)
	}
	r, ok := c.Route("out")
	if !ok || strings.Join(r.Peers, ",") != "a,b" || r.RouteSpread() != SpreadOrdered {
		t.Errorf("route out: %+v, %v", r, ok)
	}
	if p := c.Peers[0]; p.MaxCalls != 30 || p.MaxCallsPerSecond != 5 {
		t.Errorf("peer limits: %+v", p)
	}
	if r, _ := c.Route("rr"); r.RouteSpread() != SpreadRoundRobin {
		t.Errorf("route rr: %+v", r)
	}
	if _, ok := c.Route("nope"); ok {
		t.Error("an unknown route was found")
	}
}

// TestRouteErrorsNameFileLineAndField: a route to an unknown peer, a
// numbering entry to an unknown route ... are refused at their field and
// line.
func TestRouteErrorsNameFileLineAndField(t *testing.T) {
	const peers = `
peers:
  - {name: a, host: 192.0.2.1}
`
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"unknown peer", peers + `routes:
  - name: out
    peers: [a, nope]
`, `pbx.yaml:6: routes[0].peers[1]: unknown peer "nope"`},
		{"no peers", peers + `routes:
  - {name: out}
`, "routes[0].peers: at least one peer"},
		{"duplicate peer", peers + `routes:
  - {name: out, peers: [a, a]}
`, `routes[0].peers[1]: peer "a" is listed twice`},
		{"duplicate route", peers + `routes:
  - {name: out, peers: [a]}
  - {name: out, peers: [a]}
`, `routes[1].name: duplicate route "out"`},
		{"no name", peers + `routes:
  - {peers: [a]}
`, "routes[0].name: route name is required"},
		{"spread", peers + `routes:
  - {name: out, peers: [a], spread: random}
`, `routes[0].spread: unknown spread "random" (want ordered, round_robin or weighted)`},
		{"entry to an unknown route", peers + `routes:
  - {name: out, peers: [a]}
numbering:
  entries:
    - {prefix: "9", kind: route, target: outt}
`, `pbx.yaml:8: numbering.entries[0].target: unknown route "outt" (routes[].name: out)`},
		{"negative limit", `
peers:
  - {name: a, host: 192.0.2.1, max_calls: -1}
`, "pbx.yaml:3: peers[0].max_calls: must not be negative"},
		{"negative rate", `
peers:
  - {name: a, host: 192.0.2.1, max_calls_per_second: -2}
`, "peers[0].max_calls_per_second: must not be negative"},
		{"unknown field", peers + `routes:
  - {name: out, peers: [a], trunks: [a]}
`, "routes[0]"},
	} {
		_, err := Parse("pbx.yaml", []byte(tc.yaml))
		var fe *FieldError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a field error containing %q", tc.name, err, tc.want)
		}
	}
}
