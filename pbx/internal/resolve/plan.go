package resolve

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// plan is what DNS said about a host, before the weighted order is drawn:
// sets of servers in the order to try them (one per NAPTR record or SRV
// query), each set's servers with their SRV priority and weight.
type plan []serverSet

type serverSet struct {
	transport string
	servers   []server
}

type server struct {
	name             string
	port             uint16
	priority, weight uint16
	addrs            []netip.Addr
}

// plan resolves name (RFC 3263 §4.1, §4.2): port given → A/AAAA; transport
// given → SRV for it; else NAPTR, or SRV for UDP then TCP without any;
// without SRV, A/AAAA on 5060.
func (l *lookup) plan(name string, port int, transport string) (plan, error) {
	if port != 0 {
		return l.direct(name, uint16(port), orUDP(transport))
	}
	if transport == "" {
		p, err := l.naptr(name)
		if err != nil || len(p) > 0 {
			return p, err
		}
	}
	transports := []string{transport}
	if transport == "" {
		transports = []string{UDP, TCP}
	}
	var p plan
	for _, t := range transports {
		set, err := l.srv(srvName(t, name), t)
		switch {
		case errors.Is(err, errNoSRV):
			continue // no SRV for this transport: the next, or A/AAAA
		case err != nil:
			return nil, err
		}
		p = append(p, set)
	}
	if len(p) == 0 {
		return l.direct(name, DefaultPort, orUDP(transport))
	}
	return p, nil
}

func srvName(transport, name string) string { return "_sip._" + transport + "." + name }

// direct is name's A/AAAA at port.
func (l *lookup) direct(name string, port uint16, transport string) (plan, error) {
	addrs, err := l.addrs(name)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%s has no A or AAAA record: %w", name, ErrNotFound)
	}
	return plan{{transport: transport, servers: []server{{name: name, port: port, addrs: addrs}}}}, nil
}

// ParseService returns the transport of a NAPTR service field RFC 3263 §4.1
// lets a SIP client use: "SIP+D2U" is UDP, "SIP+D2T" TCP (any case); others
// (SIPS+D2T, SIP+D2S, E2U+sip ...) are not ours.
func ParseService(s string) (string, bool) {
	switch strings.ToUpper(s) {
	case "SIP+D2U":
		return UDP, true
	case "SIP+D2T":
		return TCP, true
	}
	return "", false
}

// naptr follows name's NAPTR records (RFC 3403, RFC 3263 §4.1): the ones
// for SIP over UDP or TCP, by order then preference, a terminal one ("S"
// flag) to its SRV set, a non-terminal one (empty flags) to the NAPTR
// records of its replacement. No NAPTR record is an empty plan.
func (l *lookup) naptr(name string) (plan, error) {
	w := &naptrWalk{l: l, seen: map[string]bool{}}
	if err := w.walk(name, 0); err != nil {
		return nil, err
	}
	if len(w.p) == 0 && w.err != nil {
		return nil, w.err // NAPTR records, none usable: say why
	}
	return w.p, nil
}

type naptrWalk struct {
	l    *lookup
	seen map[string]bool
	p    plan
	err  error // why the last record that looked usable was not
}

// walk adds the SRV sets of name's NAPTR records to w.p. A loop is an
// error, so is a failed query for the host itself (depth 0); a failed
// replacement is only remembered in w.err.
func (w *naptrWalk) walk(name string, depth int) error {
	key := strings.ToLower(dns.Fqdn(name))
	if w.seen[key] {
		return fmt.Errorf("NAPTR replacement comes back to %s: %w", name, ErrLoop)
	}
	if depth >= MaxChain {
		return fmt.Errorf("NAPTR replacements longer than %d at %s: %w", MaxChain, name, ErrLoop)
	}
	w.seen[key] = true
	rrs, err := w.l.query(name, dns.TypeNAPTR)
	if err != nil {
		return err
	}
	var recs []*dns.NAPTR
	for _, rr := range rrs {
		if n, ok := rr.(*dns.NAPTR); ok {
			recs = append(recs, n)
		}
	}
	slices.SortStableFunc(recs, func(a, b *dns.NAPTR) int {
		return cmp.Or(cmp.Compare(a.Order, b.Order), cmp.Compare(a.Preference, b.Preference))
	})
	for _, n := range recs {
		if n.Replacement == "" || n.Replacement == "." {
			continue // a regexp rewrite: not used for SIP (RFC 3263 §4.1)
		}
		switch strings.ToUpper(n.Flags) {
		case "S":
			t, ok := ParseService(n.Service)
			if !ok {
				continue
			}
			set, err := w.l.srv(n.Replacement, t)
			if errors.Is(err, ErrLoop) {
				return err
			}
			if err != nil {
				w.l.d.log.Warn("NAPTR points nowhere", "naptr", n.Hdr.Name, "replacement", n.Replacement, "error", err)
				w.err = fmt.Errorf("NAPTR %s → %s: %w", n.Hdr.Name, n.Replacement, err)
				continue
			}
			w.p = append(w.p, set)
		case "":
			if err := w.walk(n.Replacement, depth+1); err != nil {
				if errors.Is(err, ErrLoop) {
					return err
				}
				w.err = fmt.Errorf("NAPTR %s → %s: %w", n.Hdr.Name, n.Replacement, err)
			}
		}
	}
	return nil
}

// errNoSRV marks a name without SRV records (NXDOMAIN or none): the
// lookup goes on with A/AAAA.
var errNoSRV = errors.New("no SRV record")

// srv resolves the SRV records at name and their targets' addresses. No
// SRV record is ErrNotFound; targets without an address are left out
// (ErrNoAddress when none is left).
func (l *lookup) srv(name, transport string) (serverSet, error) {
	set := serverSet{transport: transport}
	rrs, err := l.query(name, dns.TypeSRV)
	if errors.Is(err, ErrNotFound) {
		return set, fmt.Errorf("%w: %w", errNoSRV, err)
	}
	if err != nil {
		return set, err
	}
	if len(rrs) == 0 {
		return set, fmt.Errorf("SRV %s: %w: %w", name, errNoSRV, ErrNotFound)
	}
	var lastErr error
	for _, rr := range rrs {
		s, ok := rr.(*dns.SRV)
		if !ok {
			continue
		}
		if s.Target == "." {
			continue // RFC 2782: decidedly not available here
		}
		addrs, err := l.addrs(s.Target)
		if err == nil && len(addrs) == 0 {
			err = fmt.Errorf("%s has no A or AAAA record: %w", s.Target, ErrNoAddress)
		}
		if err != nil {
			if errors.Is(err, ErrLoop) {
				return set, fmt.Errorf("SRV %s target %s: %w", name, s.Target, err)
			}
			l.d.log.Warn("SRV target points nowhere", "srv", name, "target", s.Target, "error", err)
			lastErr = err
			continue
		}
		set.servers = append(set.servers, server{name: strings.TrimSuffix(s.Target, "."), port: s.Port, priority: s.Priority, weight: s.Weight, addrs: addrs})
	}
	if len(set.servers) == 0 {
		if lastErr != nil {
			return set, fmt.Errorf("SRV %s: %w: %w", name, ErrNoAddress, lastErr)
		}
		return set, fmt.Errorf("SRV %s: only \".\": %w", name, ErrNotFound)
	}
	return set, nil
}

// order draws the targets of p: its sets in turn, each set's servers by
// priority and, within a priority, by RFC 2782's weighted random
// selection; every address of a server in turn. A target listed twice
// stays at its first place.
func (p plan) order(rng *rand.Rand) []Target {
	var out []Target
	seen := map[Target]bool{}
	for _, set := range p {
		for _, s := range weighted(set.servers, rng) {
			for _, a := range s.addrs {
				t := Target{Transport: set.transport, Addr: netip.AddrPortFrom(a, s.port), Name: s.name}
				if !seen[t] {
					seen[t] = true
					out = append(out, t)
				}
			}
		}
	}
	return out
}

// weighted orders SRV records (RFC 2782): by priority, lowest first;
// within one priority, repeatedly the one whose running weight sum first
// reaches a random number in [0, sum of the weights left], weight-0
// records placed first so they are chosen only when the draw is 0.
func weighted(recs []server, rng *rand.Rand) []server {
	sorted := slices.Clone(recs)
	slices.SortStableFunc(sorted, func(a, b server) int { return cmp.Compare(a.priority, b.priority) })
	out := make([]server, 0, len(sorted))
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j].priority == sorted[i].priority {
			j++
		}
		group := slices.Clone(sorted[i:j])
		slices.SortStableFunc(group, func(a, b server) int { // weight 0 first
			return cmp.Compare(min(a.weight, 1), min(b.weight, 1))
		})
		for len(group) > 0 {
			sum := 0
			for _, e := range group {
				sum += int(e.weight)
			}
			draw := rng.IntN(sum + 1)
			k, run := 0, 0
			for k = range group {
				if run += int(group[k].weight); run >= draw {
					break
				}
			}
			out = append(out, group[k])
			group = slices.Delete(group, k, k+1)
		}
		i = j
	}
	return out
}
