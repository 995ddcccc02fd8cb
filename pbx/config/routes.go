package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Route spreads calls over peers: a number analysis entry of kind route
// names it (numbering.entries[].target) and the PBX tries its peers one
// after another, the next when one times out or answers 408 or 5xx.
//
// Time of day: Schedules are alternatives to Peers/Spread/Weights, each
// with its own peers, that apply only at certain times (like Asterisk's
// GotoIfTime or FreeSWITCH's time-of-day conditions). At each call the
// PBX takes the first schedule that matches the current time and uses
// its peers; when none matches, the route's own Peers ("otherwise").
//
//	routes:
//	  - name: out
//	    peers: [night_carrier]            # otherwise (nights, weekends)
//	    schedules:
//	      - name: office_hours
//	        time_zone: Europe/Berlin
//	        days: [mon-fri]
//	        times: ["08:00-18:00"]
//	        peers: [carrier_a, carrier_b]
//	        spread: weighted
//	        weights: {carrier_a: 3, carrier_b: 1}
type Route struct {
	// Name identifies the route (numbering.entries[].target); unique.
	// Required.
	Name string `yaml:"name"`
	// Peers are names of peers[], tried in this order. At least one, no
	// duplicates.
	Peers []string `yaml:"peers"`
	// Spread is ordered (always the first peer first), round_robin (each
	// call starts one peer further down the list) or weighted (the first
	// peer drawn at random in proportion to Weights, then the others in
	// their order in Peers). Default ordered.
	Spread string `yaml:"spread"`
	// Weights are the peers' shares of first attempts with spread
	// weighted, by peer name: every peer of Peers needs one, each > 0
	// ({a: 3, b: 1}: a takes 3 calls of 4 first). Only with spread
	// weighted. Default none.
	Weights map[string]int `yaml:"weights"`
	// Schedules are time-of-day alternatives to Peers, the first that
	// matches now applies (RouteSchedule). Default none: Peers always.
	Schedules []RouteSchedule `yaml:"schedules"`
	// ProgressTimeout is how long a peer may send nothing beyond 100
	// Trying (no 180/183, no final answer) before the PBX cancels its
	// INVITE and tries the next peer: a carrier that says "trying" and
	// dies would otherwise hold the call until call.no_answer (an INVITE
	// transaction has no timer after its 100). 0 (unset): 15s; not
	// negative.
	ProgressTimeout time.Duration `yaml:"progress_timeout"`
}

// DefaultProgressTimeout is routes[].progress_timeout when unset.
const DefaultProgressTimeout = 15 * time.Second

// Progress is the route's progress timeout, the default when unset.
func (r Route) Progress() time.Duration {
	if r.ProgressTimeout <= 0 {
		return DefaultProgressTimeout
	}
	return r.ProgressTimeout
}

// RouteSchedule is a route's alternative for certain times: days of the
// week and ranges of local time in a time zone. Days and times are
// separate conditions on the local time (as Asterisk and FreeSWITCH read
// them): times "22:00-06:00" on days [mon] is Monday 00:00-06:00 and
// Monday 22:00-24:00. Ranges are half-open at minute resolution:
// "08:00-18:00" holds 08:00 to 17:59:59; "24:00" ends a range at
// midnight; an end before the start crosses midnight.
type RouteSchedule struct {
	// Name labels the schedule in logs. Default: schedules[i].
	Name string `yaml:"name"`
	// TimeZone is the IANA name of the zone the days and times are read
	// in (Europe/Berlin, America/New_York); the binary embeds the zone
	// database. Default UTC.
	TimeZone string `yaml:"time_zone"`
	// Days are mon, tue, wed, thu, fri, sat, sun or ranges of them
	// (mon-fri; fri-mon wraps). Default: every day.
	Days []string `yaml:"days"`
	// Times are "HH:MM-HH:MM" ranges. Default: all day.
	Times []string `yaml:"times"`
	// Peers, Spread and Weights are as the route's own, for the calls
	// in this schedule. Peers required.
	Peers   []string       `yaml:"peers"`
	Spread  string         `yaml:"spread"`
	Weights map[string]int `yaml:"weights"`
}

// Spread values.
const (
	SpreadOrdered    = "ordered"
	SpreadRoundRobin = "round_robin"
	SpreadWeighted   = "weighted"
)

// RouteSpread is the route's spread, ordered when unset.
func (r Route) RouteSpread() string { return spreadOrDefault(r.Spread) }

// ScheduleSpread is the schedule's spread, ordered when unset.
func (r RouteSchedule) ScheduleSpread() string { return spreadOrDefault(r.Spread) }

func spreadOrDefault(s string) string {
	if s == "" {
		return SpreadOrdered
	}
	return s
}

// Label is the schedule's name, or schedules[i] without one.
func (r RouteSchedule) Label(i int) string {
	if r.Name != "" {
		return r.Name
	}
	return fmt.Sprintf("schedules[%d]", i)
}

// Route returns the named route.
func (c *Config) Route(name string) (Route, bool) {
	for _, r := range c.Routes {
		if r.Name == name {
			return r, true
		}
	}
	return Route{}, false
}

// routes checks the routes and that every numbering entry of kind route
// names one.
func (v *validator) routes() {
	names := map[string]int{}
	for i, r := range v.c.Routes {
		path := fmt.Sprintf("routes[%d]", i)
		v.uniqueName(names, "route", "routes", i, r.Name)
		v.peerSet(path, r.Peers, r.Spread, r.Weights)
		v.routeSchedules(path, r.Schedules)
		if r.ProgressTimeout < 0 {
			v.errorf(path+".progress_timeout", "must not be negative (0: %s), got %s", DefaultProgressTimeout, r.ProgressTimeout)
		}
	}
	for i, e := range v.c.Numbering.Entries {
		if e.Kind != "route" {
			continue
		}
		path := fmt.Sprintf("numbering.entries[%d].target", i)
		if _, ok := v.c.Route(e.Target); !ok {
			v.errorf(path, "unknown route %q (routes[].name: %s)", e.Target, strings.Join(v.routeNames(), ", "))
		}
	}
}

// peerSet checks the peers, spread and weights of a route or of one of
// its schedules (path: routes[i] or routes[i].schedules[j]).
func (v *validator) peerSet(path string, peers []string, spread string, weights map[string]int) {
	if len(peers) == 0 {
		v.errorf(path+".peers", "at least one peer is required")
	}
	seen := map[string]bool{}
	for j, p := range peers {
		switch {
		case !slices.ContainsFunc(v.c.Peers, func(x Peer) bool { return x.Name == p }):
			v.errorf(fmt.Sprintf("%s.peers[%d]", path, j), "unknown peer %q (peers[].name: %s)", p, strings.Join(v.peerNames(), ", "))
		case seen[p]:
			v.errorf(fmt.Sprintf("%s.peers[%d]", path, j), "peer %q is listed twice", p)
		}
		seen[p] = true
	}
	s := spreadOrDefault(spread)
	switch {
	case s != SpreadOrdered && s != SpreadRoundRobin && s != SpreadWeighted:
		v.errorf(path+".spread", "unknown spread %q (want %s, %s or %s)", spread, SpreadOrdered, SpreadRoundRobin, SpreadWeighted)
	case s != SpreadWeighted && len(weights) > 0:
		v.errorf(path+".weights", "weights apply to spread %s only (spread is %s)", SpreadWeighted, s)
	case s == SpreadWeighted:
		for _, p := range slices.Sorted(maps.Keys(weights)) {
			switch w := weights[p]; {
			case !seen[p]:
				v.errorf(path+".weights."+p, "%q is not one of the route's peers (%s)", p, strings.Join(peers, ", "))
			case w <= 0:
				v.errorf(path+".weights."+p, "weight must be greater than 0, got %d", w)
			}
		}
		var missing []string
		for _, p := range peers {
			if _, ok := weights[p]; !ok {
				missing = append(missing, p)
			}
		}
		if len(missing) > 0 {
			v.errorf(path+".weights", "spread weighted needs a weight for every peer: none for %s", strings.Join(missing, ", "))
		}
	}
}

func (v *validator) peerNames() []string {
	out := make([]string, 0, len(v.c.Peers))
	for _, p := range v.c.Peers {
		out = append(out, p.Name)
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

func (v *validator) routeNames() []string {
	out := make([]string, 0, len(v.c.Routes))
	for _, r := range v.c.Routes {
		out = append(out, r.Name)
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}
