package pbx

import (
	"context"
	"net/netip"

	"pbxlab/pbx/internal/registrar"
)

// flowEvents is how many closed TCP connections wait for dropFlows at
// most; beyond that a closed connection's bindings stay until they expire
// (calls to them still fail at once, see reachable).
const flowEvents = 1024

// flowClosed is sipx's StackConfig.FlowClosed: an accepted TCP connection
// closed (the phone hung up the connection, or it broke). It must not
// block: sipgo's reader calls it. The connections Close ends are not the
// phones' doing: their bindings stay (in the store, for the next start).
func (s *Server) flowClosed(remote netip.AddrPort) {
	if s.closing.Load() {
		return
	}
	select {
	case s.flows <- remote:
	default:
		s.log.Warn("registered TCP connection closed; too many to process, its bindings stay until they expire", "remote", remote)
	}
}

// dropFlows removes, for every TCP connection that closed, the bindings
// registered over it (registrar.DropFlow), until ctx ends: the
// connections that closed meanwhile together, in one pass over the
// bindings. The phone is unreachable until it registers again over a new
// connection, and a call to it meanwhile gets 480 at once: the PBX does
// not dial the Contact of a phone registered over TCP
// (registrar.Binding.OverFlow).
func (s *Server) dropFlows(ctx context.Context) {
	for {
		var remotes []netip.AddrPort
		select {
		case <-ctx.Done():
			return
		case remote := <-s.flows:
			remotes = append(remotes, remote)
		}
	more:
		for len(remotes) < flowEvents {
			select {
			case remote := <-s.flows:
				remotes = append(remotes, remote)
			default:
				break more
			}
		}
		dropped, err := s.reg.DropFlow(ctx, "tcp", remotes...)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("registered TCP connections closed; remove their bindings", "connections", len(remotes), "error", err)
		}
		for _, b := range dropped {
			s.log.Info("registered TCP connection closed; binding removed", "aor", b.AOR, "contact", b.Contact, "remote", b.Received)
		}
	}
}

// reachable reports whether the PBX can send to binding b now: a binding
// registered over TCP only while its connection is open (the connection
// may have closed before dropFlows removed the binding).
func (s *Server) reachable(b registrar.Binding) bool {
	return !b.OverFlow() || s.sip.FlowOpen(b.Received)
}
