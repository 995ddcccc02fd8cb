package pbx

import (
	"context"

	"pbxlab/pbx/internal/call"
)

// The manual's unilateral pickup (ch. 16: "C picks up a call the XE itself
// places to B"), our reading: besides a call dialled to B, C may take a
// call whose leg to B the PBX placed itself — a hunt group ringing its
// members one after another (the member ringing now), a call forwarded to
// B. Such a call's record names the number dialled (the group, the
// forwarding subscriber), so it is found by the contacts it rings: B's
// registered contacts among the Request-URIs of its ringing branches.

// ringsAt returns whether a ringing call rings one of the contacts of the
// numbers targets (looked up once, on the first call that needs them).
func (s *Server) ringsAt(ctx context.Context, targets []string) func(call.Ringing) bool {
	var contacts map[string]bool
	return func(r call.Ringing) bool {
		if contacts == nil {
			contacts = map[string]bool{}
			for _, n := range targets {
				ts, err := s.locate(ctx, n)
				if err != nil {
					s.log.Debug("pickup: locate", "number", n, "error", err)
					continue
				}
				for _, t := range ts {
					contacts[t.URI.String()] = true
				}
			}
		}
		for _, u := range r.Targets {
			if contacts[u.String()] {
				return true
			}
		}
		return false
	}
}
