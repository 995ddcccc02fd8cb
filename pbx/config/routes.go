package config

import (
	"fmt"
	"slices"
	"strings"
)

// Route spreads calls over peers: a number analysis entry of kind route
// names it (numbering.entries[].target) and the PBX tries its peers one
// after another, the next when one times out or answers 408 or 5xx.
type Route struct {
	// Name identifies the route (numbering.entries[].target); unique.
	// Required.
	Name string `yaml:"name"`
	// Peers are names of peers[], tried in this order. At least one, no
	// duplicates.
	Peers []string `yaml:"peers"`
	// Spread is ordered (always the first peer first) or round_robin (each
	// call starts one peer further down the list). Default ordered.
	Spread string `yaml:"spread"`
}

// Spread values.
const (
	SpreadOrdered    = "ordered"
	SpreadRoundRobin = "round_robin"
)

// RouteSpread is the route's spread, ordered when unset.
func (r Route) RouteSpread() string {
	if r.Spread == "" {
		return SpreadOrdered
	}
	return r.Spread
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
		if len(r.Peers) == 0 {
			v.errorf(path+".peers", "at least one peer is required")
		}
		seen := map[string]bool{}
		for j, p := range r.Peers {
			switch {
			case !slices.ContainsFunc(v.c.Peers, func(x Peer) bool { return x.Name == p }):
				v.errorf(fmt.Sprintf("%s.peers[%d]", path, j), "unknown peer %q (peers[].name)", p)
			case seen[p]:
				v.errorf(fmt.Sprintf("%s.peers[%d]", path, j), "peer %q is listed twice", p)
			}
			seen[p] = true
		}
		if s := r.RouteSpread(); s != SpreadOrdered && s != SpreadRoundRobin {
			v.errorf(path+".spread", "unknown spread %q (want %s or %s)", r.Spread, SpreadOrdered, SpreadRoundRobin)
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
