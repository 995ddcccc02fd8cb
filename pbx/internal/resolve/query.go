package resolve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// maxTTL caps the cache lifetime of a lookup (one day).
const maxTTL = 86400

// lookup is one resolution of a host: the queries it asks share the
// caller's context and the smallest TTL seen.
type lookup struct {
	d   *DNS
	ctx context.Context
	ttl uint32
}

// ask sends m to each server in turn until one answers (over TCP when the
// UDP answer is truncated).
func (d *DNS) ask(ctx context.Context, m *dns.Msg) (*dns.Msg, error) {
	last := d.noServer
	for _, server := range d.servers {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrTimeout, err)
		}
		c := &dns.Client{Net: "udp", Timeout: d.timeout}
		r, _, err := c.ExchangeContext(ctx, m, server)
		if err == nil && r.Truncated {
			c.Net = "tcp"
			r, _, err = c.ExchangeContext(ctx, m, server)
		}
		if err == nil {
			return r, nil
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w: server %s: %w", ErrTimeout, server, err)
		} else {
			err = fmt.Errorf("%w: server %s: %w", ErrServer, server, err)
		}
		d.log.Debug("DNS server did not answer", "server", server, "error", err)
		last = err
	}
	return nil, last
}

// query asks for the records of type qtype at name, following CNAMEs (in
// the answer, or by asking again for the canonical name). It returns the
// records of qtype of the name the chain ends at; none (and no error) when
// that name exists without such records. NXDOMAIN is ErrNotFound.
func (l *lookup) query(name string, qtype uint16) ([]dns.RR, error) {
	qname := dns.Fqdn(name)
	typ := dns.TypeToString[qtype]
	seen := map[string]bool{strings.ToLower(qname): true}
	for range MaxChain {
		m := new(dns.Msg)
		m.SetQuestion(qname, qtype)
		m.RecursionDesired = true
		r, err := l.d.exchange(l.ctx, m)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", typ, qname, err)
		}
		switch r.Rcode {
		case dns.RcodeSuccess:
		case dns.RcodeNameError:
			return nil, fmt.Errorf("%s %s: NXDOMAIN: %w", typ, qname, ErrNotFound)
		default:
			return nil, fmt.Errorf("%s %s: %s: %w", typ, qname, dns.RcodeToString[r.Rcode], ErrServer)
		}
		for { // the chain as far as this answer goes
			out, next := l.pick(r, qname, qtype)
			if len(out) > 0 {
				return out, nil
			}
			if next == "" {
				l.negativeTTL(r)
				return nil, nil
			}
			key := strings.ToLower(next)
			if seen[key] {
				return nil, fmt.Errorf("%s %s: CNAME chain comes back to %s: %w", typ, name, next, ErrLoop)
			}
			if seen[key] = true; len(seen) > MaxChain {
				return nil, fmt.Errorf("%s %s: CNAME chain longer than %d: %w", typ, name, MaxChain, ErrLoop)
			}
			qname = next
			if !answers(r, next) {
				break // ask for the canonical name
			}
		}
	}
	return nil, fmt.Errorf("%s %s: CNAME chain longer than %d queries: %w", typ, name, MaxChain, ErrLoop)
}

// pick returns the records of qtype r's answer has for qname, or else the
// canonical name a CNAME of qname points to.
func (l *lookup) pick(r *dns.Msg, qname string, qtype uint16) (out []dns.RR, next string) {
	for _, rr := range r.Answer {
		h := rr.Header()
		if !strings.EqualFold(h.Name, qname) {
			continue
		}
		switch {
		case h.Rrtype == qtype:
			out = append(out, rr)
			l.seenTTL(h.Ttl)
		case h.Rrtype == dns.TypeCNAME && next == "":
			if c, ok := rr.(*dns.CNAME); ok {
				next = c.Target
			}
			l.seenTTL(h.Ttl)
		}
	}
	if len(out) > 0 {
		return out, ""
	}
	return nil, next
}

// answers reports whether r's answer has a record for name.
func answers(r *dns.Msg, name string) bool {
	for _, rr := range r.Answer {
		if strings.EqualFold(rr.Header().Name, name) {
			return true
		}
	}
	return false
}

func (l *lookup) seenTTL(ttl uint32) { l.ttl = min(l.ttl, ttl) }

// negativeTTL caches "no such record" for the SOA minimum (RFC 2308 §5).
func (l *lookup) negativeTTL(r *dns.Msg) {
	for _, rr := range r.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			l.seenTTL(min(soa.Hdr.Ttl, soa.Minttl))
		}
	}
}

// addrs resolves name's A then AAAA records. A name with neither is no
// error (none); NXDOMAIN is.
func (l *lookup) addrs(name string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
		rrs, err := l.query(name, qt)
		if err != nil {
			return nil, err
		}
		for _, rr := range rrs {
			var ip net.IP
			switch rr := rr.(type) {
			case *dns.A:
				ip = rr.A
			case *dns.AAAA:
				ip = rr.AAAA
			}
			if a, ok := netip.AddrFromSlice(ip); ok {
				out = append(out, a.Unmap())
			}
		}
	}
	return out, nil
}
