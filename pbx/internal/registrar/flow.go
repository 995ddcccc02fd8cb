package registrar

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
)

// OverFlow reports whether the binding is reached over the connection its
// REGISTER came on (a "flow", RFC 5626 §3.1): it was registered over a
// connection-oriented transport (TCP) from a known address. Target is
// then that address, and the phone's Contact is not dialled: a phone
// behind NAT or a firewall does not accept connections, and the address
// a phone connects from is not one it listens on.
func (b Binding) OverFlow() bool {
	t := strings.ToLower(b.Transport)
	return !b.Static && b.Received.IsValid() && (t == "tcp" || t == "tls")
}

// DropFlow removes the bindings registered over the connections of
// transport from remotes, which have closed: they cannot be reached any
// more (the PBX does not dial the phone's Contact, see Binding.OverFlow)
// until the phone registers again, over a new connection. It reads the
// bindings once for all of remotes, and returns those it removed.
func (r *Registrar) DropFlow(ctx context.Context, transport string, remotes ...netip.AddrPort) ([]Binding, error) {
	gone := make(map[netip.AddrPort]bool, len(remotes))
	for _, a := range remotes {
		gone[netip.AddrPortFrom(a.Addr().Unmap(), a.Port())] = true
	}
	all, err := r.store.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("drop %d %s flows: %w", len(remotes), transport, err)
	}
	var dropped []Binding
	for _, b := range all {
		if !b.OverFlow() || !strings.EqualFold(b.Transport, transport) || !gone[b.Received] {
			continue
		}
		unlock := r.lockAOR(b.AOR)
		ok, err := r.dropIfSame(ctx, b)
		unlock()
		if err != nil {
			return dropped, fmt.Errorf("drop flow %s %s: %w", transport, b.Received, err)
		}
		if ok {
			dropped = append(dropped, b)
		}
	}
	return dropped, nil
}

// dropIfSame removes b unless a REGISTER replaced it since All read it
// (a refresh over a new connection, from another address), and reports
// whether it did.
func (r *Registrar) dropIfSame(ctx context.Context, b Binding) (bool, error) {
	now, err := r.store.Lookup(ctx, b.AOR)
	if err != nil {
		return false, err
	}
	for _, cur := range now {
		if cur.Contact == b.Contact && cur.Received == b.Received && strings.EqualFold(cur.Transport, b.Transport) {
			return true, r.store.Delete(ctx, b.AOR, b.Contact)
		}
	}
	return false, nil
}
