package config

import (
	"errors"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // zone names resolve whatever the host has
)

const twoPeers = `
peers:
  - {name: a, host: 192.0.2.1}
  - {name: b, host: 192.0.2.2}
  - {name: c, host: 192.0.2.3}
`

// TestParseWeightedAndScheduledRoutes: weights and schedules decode, and
// the ordered and round_robin forms keep working beside them.
func TestParseWeightedAndScheduledRoutes(t *testing.T) {
	c, err := Parse("pbx.yaml", []byte(twoPeers+`
routes:
  - {name: plain, peers: [a, b]}
  - {name: rr, peers: [a, b], spread: round_robin, progress_timeout: 8s}
  - name: out
    peers: [c]
    schedules:
      - name: office_hours
        time_zone: Europe/Berlin
        days: [mon-fri]
        times: ["08:00-18:00"]
        peers: [a, b]
        spread: weighted
        weights: {a: 3, b: 1}
      - days: [sat]
        peers: [b]
`))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := c.Route("out")
	if len(r.Schedules) != 2 || r.RouteSpread() != SpreadOrdered {
		t.Fatalf("route out: %+v", r)
	}
	s := r.Schedules[0]
	if s.ScheduleSpread() != SpreadWeighted || s.Weights["a"] != 3 || s.Weights["b"] != 1 || s.Label(0) != "office_hours" || r.Schedules[1].Label(1) != "schedules[1]" {
		t.Errorf("schedule: %+v", s)
	}
	sc, err := s.Compile()
	if err != nil {
		t.Fatal(err)
	}
	// Monday 5 January 2026, 07:30 UTC = 08:30 in Berlin
	if !sc.Match(time.Date(2026, 1, 5, 7, 30, 0, 0, time.UTC)) || sc.Match(time.Date(2026, 1, 5, 17, 30, 0, 0, time.UTC)) {
		t.Error("office_hours is not read in Europe/Berlin")
	}
	if r.Progress() != DefaultProgressTimeout {
		t.Errorf("progress timeout %s, want the default", r.Progress())
	}
	if r, _ := c.Route("rr"); r.RouteSpread() != SpreadRoundRobin || r.Progress() != 8*time.Second {
		t.Errorf("rr: %+v", r)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("printed.yaml", out)
	if err != nil {
		t.Fatalf("the printed configuration does not parse: %v\n%s", err, out)
	}
	if r, _ := back.Route("out"); r.Schedules[0].Weights["a"] != 3 || strings.Join(r.Schedules[0].Days, ",") != "mon-fri" {
		t.Errorf("round trip: %+v", r)
	}
}

// TestRouteScheduleAndWeightErrors: bad weights, bad schedules and
// schedules that can never apply are refused at their file, line and
// field.
func TestRouteScheduleAndWeightErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"zero weight", `routes:
  - {name: out, peers: [a, b], spread: weighted, weights: {a: 0, b: 1}}
`, `pbx.yaml:7: routes[0].weights.a: weight must be greater than 0, got 0`},
		{"negative weight", `routes:
  - name: out
    peers: [a, b]
    spread: weighted
    weights:
      a: 2
      b: -1
`, `pbx.yaml:12: routes[0].weights.b: weight must be greater than 0, got -1`},
		{"missing weight", `routes:
  - {name: out, peers: [a, b], spread: weighted, weights: {a: 2}}
`, `routes[0].weights: spread weighted needs a weight for every peer: none for b`},
		{"no weights at all", `routes:
  - {name: out, peers: [a, b], spread: weighted}
`, `routes[0].weights: spread weighted needs a weight for every peer: none for a, b`},
		{"weight of a peer not in the route", `routes:
  - {name: out, peers: [a, b], spread: weighted, weights: {a: 1, b: 1, c: 1}}
`, `routes[0].weights.c: "c" is not one of the route's peers (a, b)`},
		{"weights without weighted spread", `routes:
  - {name: out, peers: [a, b], weights: {a: 1, b: 1}}
`, `routes[0].weights: weights apply to spread weighted only (spread is ordered)`},
		{"unknown peer in a schedule", `routes:
  - name: out
    peers: [a]
    schedules:
      - {days: [sat], peers: [d]}
`, `pbx.yaml:10: routes[0].schedules[0].peers[0]: unknown peer "d" (peers[].name: a, b, c)`},
		{"schedule without peers", `routes:
  - name: out
    peers: [a]
    schedules:
      - {days: [sat]}
`, `routes[0].schedules[0].peers: at least one peer is required`},
		{"unknown zone", `routes:
  - name: out
    peers: [a]
    schedules:
      - days: [sat]
        time_zone: Europe/Atlantis
        peers: [b]
`, `pbx.yaml:11: routes[0].schedules[0].time_zone: unknown time zone "Europe/Atlantis"`},
		{"bad day", `routes:
  - name: out
    peers: [a]
    schedules:
      - {days: [mon, someday], peers: [b]}
`, `routes[0].schedules[0].days[1]: "someday": want a day`},
		{"bad time", `routes:
  - name: out
    peers: [a]
    schedules:
      - {times: ["8am-5pm"], peers: [b]}
`, `routes[0].schedules[0].times[0]: "8am-5pm": start`},
		{"empty range never matches", `routes:
  - name: out
    peers: [a]
    schedules:
      - {times: ["09:00-09:00"], peers: [b]}
`, `routes[0].schedules[0].times[0]: "09:00-09:00": an empty range never matches`},
		{"shadowed schedule", `routes:
  - name: out
    peers: [a]
    schedules:
      - {name: weekdays, days: [mon-fri], peers: [b]}
      - {name: mornings, days: [tue], times: ["08:00-12:00"], peers: [c]}
`, `pbx.yaml:11: routes[0].schedules[1]: never applies: routes[0].schedules[0] (weekdays) comes first and matches whenever this one does`},
		{"same schedule twice", `routes:
  - name: out
    peers: [a]
    schedules:
      - {days: [sat-sun], peers: [b]}
      - {days: [sat, sun], peers: [c]}
`, `routes[0].schedules[1]: never applies`},
		{"schedules that leave the route's own peers no time", `routes:
  - name: out
    peers: [a]
    schedules:
      - {days: [mon-fri], peers: [b]}
      - {days: [sat-sun], peers: [c]}
`, `pbx.yaml:8: routes[0].peers: never used: the route's schedules between them hold at every time of the week`},
		{"duplicate schedule name", `routes:
  - name: out
    peers: [a]
    schedules:
      - {name: w, days: [sat], peers: [b]}
      - {name: w, days: [sun], peers: [c]}
`, `routes[0].schedules[1].name: duplicate schedule "w"`},
		{"weighted schedule with a zero weight", `routes:
  - name: out
    peers: [a]
    schedules:
      - {days: [sat], peers: [b, c], spread: weighted, weights: {b: 1, c: 0}}
`, `routes[0].schedules[0].weights.c: weight must be greater than 0`},
		{"negative progress timeout", `routes:
  - {name: out, peers: [a], progress_timeout: -5s}
`, `routes[0].progress_timeout: must not be negative (0: 15s), got -5s`},
		{"progress timeout without unit", `routes:
  - {name: out, peers: [a], progress_timeout: 5}
`, `routes[0].progress_timeout: want a duration`},
		{"two entries of the same prefix to two routes", `routes:
  - {name: out, peers: [a]}
  - {name: other, peers: [b]}
numbering:
  entries:
    - {prefix: "9", min: 5, max: 12, kind: route, target: out}
    - {prefix: "9", min: 10, max: 15, kind: route, target: other}
`, `pbx.yaml:12: numbering.entries[1]: prefix "9": lengths 10..15 overlap those of an earlier entry (5..12, route out)`},
	} {
		_, err := Parse("pbx.yaml", []byte(twoPeers+tc.yaml))
		var fe *FieldError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v\nwant a field error containing %q", tc.name, err, tc.want)
		}
	}
}

// TestScheduleAfterAnotherZoneIsAccepted: schedules in different zones
// are not compared (daylight saving time moves them apart), and a
// schedule that only partly overlaps an earlier one is fine.
func TestScheduleAfterAnotherZoneIsAccepted(t *testing.T) {
	_, err := Parse("pbx.yaml", []byte(twoPeers+`routes:
  - name: out
    peers: [a]
    schedules:
      - {days: [mon-fri], peers: [b]}
      - {days: [tue], time_zone: Asia/Tokyo, peers: [c]}
      - {days: [fri-sat], peers: [c]}
`))
	if err != nil {
		t.Fatal(err)
	}
}
