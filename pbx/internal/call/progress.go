package call

import "github.com/emiago/sipgo/sip"

// armProgress bounds how long b's server may send nothing but 100 Trying
// (Target.Progress): an INVITE transaction that got its 100 has no
// timer left (Timer B stops in Proceeding, RFC 3261 §17.1.1.2), so a
// carrier that says "trying" and then dies would hold the call until the
// no-answer timer, never reaching the next peer. This is a proxy's Timer
// C (§16.6 (11)) shortened to the wait for progress.
func (c *Call) armProgress(b *branch) {
	if b.target.Progress > 0 {
		b.progress = c.after(b.target.Progress, func() { c.onProgressTimeout(b) })
	}
}

// onProgressTimeout cancels a branch that made no progress in time and
// fails it as timed out (the transaction's own 408: no response came),
// so that a sequential decision moves on.
func (c *Call) onProgressTimeout(b *branch) {
	if b.final != nil || b.progressed || c.phase != phaseRinging {
		return
	}
	c.log.Info("target sent no progress beyond 100 Trying: cancelled", "target", b.target.URI.String(), "peer", b.target.Peer, "after", b.target.Progress)
	c.cancelBranch(b, nil)
	c.onBranchFailure(b, sip.NewResponseFromRequest(b.invite, 408, "Request Timeout", nil))
}
