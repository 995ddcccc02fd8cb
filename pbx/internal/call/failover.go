package call

import (
	"github.com/emiago/sipgo/sip"
)

// Hop is one more place to send a target's INVITE to: another server of
// the same host (RFC 3263 §4.3), as DNS listed it.
type Hop struct {
	Transport string // "udp" | "tcp"
	Dest      string // IP:port
}

// failover sends a failed branch's INVITE on to the next hop of its
// target (RFC 3263 §4.3): when the server it went to timed out, could not
// be reached (the transaction's own 408 or 503) or answered 503 (after a
// provisional too: the server failed downstream), while the call still
// rings and nothing cancelled the branch. The new branch is a new
// INVITE transaction (new branch ID) and leg with the same Request-URI; a
// sequential decision's ring time starts again for it. It reports whether
// the failure was taken over.
func (c *Call) failover(b *branch, res *sip.Response) bool {
	if len(b.target.Failover) == 0 || b.final != nil || c.phase != phaseRinging || b.cancelPending || b.cancelSent {
		return false
	}
	if !serverFailed(res) {
		return false
	}
	for _, l := range b.legs {
		l.event(EvReject)
	}
	if b.ring != nil {
		b.ring.Stop()
	}
	b.final = res
	t := b.target
	for len(t.Failover) > 0 {
		hop := t.Failover[0]
		c.log.Info("target failed: next server (RFC 3263 failover)", "target", t.URI.String(), "failed", t.Dest, "status", res.StatusCode, "next", hop.Dest, "transport", hop.Transport)
		t.Dest, t.Transport, t.Failover = hop.Dest, hop.Transport, t.Failover[1:]
		nb, err := c.startBranch(t)
		if err != nil {
			c.log.Warn("failover", "target", t.URI.String(), "dest", t.Dest, "error", err)
			continue
		}
		if t.Ring > 0 && b.ring != nil {
			nb.ring = c.after(t.Ring, func() { c.onRingTimeout(nb) })
		}
		if b.progress != nil {
			c.armProgress(nb)
		}
		return true
	}
	c.advance()
	return true
}

// serverFailed reports whether res says the server did not take the
// request: a 503, or the 408 the transaction layer makes when no response
// came (a response from the network has a source address, ours none).
func serverFailed(res *sip.Response) bool {
	return res.StatusCode == 503 || res.StatusCode == 408 && res.Source() == ""
}
