// Package switches answers "is service S on for this number": the
// manual's srv-switch <service> {on|off}, set per subscriber number, per
// gateway prefix (LS-GW-PREFIX) and per office-gateway prefix
// (LS-OG-PREFIX), over a default per service.
//
// Precedence (project default): the subscriber's own setting beats any
// prefix setting, which beats the service's default. Among prefixes the
// longest matching one that sets the service wins, gateway and
// office-gateway prefixes alike; the same prefix may not say on as a
// gateway prefix and off as an office-gateway prefix (New refuses the
// contradiction). A service nobody set is on unless Config.Defaults says
// off.
package switches

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Config is the switches as configured: service -> on (true) or off.
type Config struct {
	// Defaults is each service's default (absent: on).
	Defaults map[string]bool
	// Subscribers are the settings of subscriber numbers (exact).
	Subscribers map[string]map[string]bool
	// GatewayPrefixes and OfficeGatewayPrefixes are the settings of
	// number prefixes of gateways and office gateways.
	GatewayPrefixes       map[string]map[string]bool
	OfficeGatewayPrefixes map[string]map[string]bool
}

// Set is the switches, ready to answer. The zero Set has every service on.
type Set struct {
	defaults map[string]bool
	subs     map[string]map[string]bool
	prefixes []prefix // longest first
}

type prefix struct {
	p   string
	set map[string]bool
}

// New builds the switches; a prefix set both ways for a service is
// ErrContradiction.
func New(cfg Config) (*Set, error) {
	s := &Set{defaults: cfg.Defaults, subs: cfg.Subscribers}
	merged := map[string]map[string]bool{}
	var errs []error
	for _, m := range []map[string]map[string]bool{cfg.GatewayPrefixes, cfg.OfficeGatewayPrefixes} {
		for p, set := range m {
			if merged[p] == nil {
				merged[p] = map[string]bool{}
			}
			for svc, on := range set {
				if have, ok := merged[p][svc]; ok && have != on {
					errs = append(errs, fmt.Errorf("prefix %s, service %s: %w", p, svc, ErrContradiction))
				}
				merged[p][svc] = on
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for p, set := range merged {
		s.prefixes = append(s.prefixes, prefix{p: p, set: set})
	}
	sort.Slice(s.prefixes, func(i, j int) bool {
		a, b := s.prefixes[i].p, s.prefixes[j].p
		if len(a) != len(b) {
			return len(a) > len(b)
		}
		return a < b
	})
	return s, nil
}

// On reports whether service is on for number: the subscriber's setting,
// else the longest prefix of number that sets it, else the default.
func (s *Set) On(service, number string) bool {
	if s == nil {
		return true
	}
	if on, ok := s.subs[number][service]; ok {
		return on
	}
	for _, p := range s.prefixes {
		if on, ok := p.set[service]; ok && strings.HasPrefix(number, p.p) {
			return on
		}
	}
	if on, ok := s.defaults[service]; ok {
		return on
	}
	return true
}

// Services lists every service the configuration names, sorted (for
// checking them against the known ones).
func (cfg Config) Services() []string {
	seen := map[string]bool{}
	add := func(m map[string]bool) {
		for k := range m {
			seen[k] = true
		}
	}
	add(cfg.Defaults)
	for _, m := range []map[string]map[string]bool{cfg.Subscribers, cfg.GatewayPrefixes, cfg.OfficeGatewayPrefixes} {
		for _, set := range m {
			add(set)
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
