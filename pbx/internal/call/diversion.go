package call

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/sipx"
)

// divert starts a diverted decision (Decision.Diversion): targets the call
// already tried are left out (a redirect loop: A → B → A), and with none
// left the caller gets 482 Loop Detected; otherwise the caller hears that
// the call is being forwarded (181, RFC 3261 §21.1.3) and the forks'
// INVITEs carry a Diversion entry for it (RFC 5806), with the count of
// diversions so far. It returns the decision to fork and whether to go on.
func (c *Call) divert(d Decision) (Decision, bool) {
	var fresh []Target
	for _, t := range d.Targets {
		if slices.Contains(c.tried, targetKey(t)) {
			c.log.Info("diversion to a target already tried: skipped", "target", t.URI.String())
			continue
		}
		fresh = append(fresh, t)
	}
	if len(fresh) == 0 && len(d.Targets) > 0 {
		c.failWith(&sipx.StatusError{Code: 482, Reason: "Loop Detected",
			Err: fmt.Errorf("diversion from %s: every target already tried: %w", d.Diversion.From.String(), sipx.ErrLoop)})
		return d, false
	}
	d.Targets = fresh
	for _, dv := range append(append([]Diversion(nil), d.Diversion.Earlier...), *d.Diversion) {
		c.addDiversion(dv)
	}
	if c.aInv != nil && !c.aInv.tx.Answered() {
		c.a.event(EvEarly)
		c.respondInvite(c.aInv, c.inviteResponse(c.aInv, 181, "Call Is Being Forwarded", nil), nil)
	}
	c.log.Info("call diverted", "from", d.Diversion.From.String(), "reason", d.Diversion.Reason, "targets", len(fresh))
	return d, true
}

// addDiversion records one diversion: its Diversion entry (newest first)
// and the number diverted from (DivertedFrom).
func (c *Call) addDiversion(dv Diversion) {
	reason := dv.Reason
	if reason == "" {
		reason = "unknown"
	}
	from := dv.From.Clone()
	from.Headers = nil
	if from.Host == "" && c.aInv != nil {
		from.Host, from.Port = c.aInv.req.Recipient.Host, c.aInv.req.Recipient.Port
	}
	entry := "<" + from.String() + ">;reason=" + reason + ";counter=" + strconv.Itoa(len(c.diversions)+1)
	c.diversions = append([]string{entry}, c.diversions...)
	c.divertedFrom = append(c.divertedFrom, dv.From.User)
	c.divertCause = causeOfReason(reason)
}

// DivertedFrom returns the users (numbers) the call was diverted from so
// far, oldest first (loop detection and hop limits of a forwarding
// service). It must run on the call's executor.
func (c *Call) DivertedFrom() []string { return append([]string(nil), c.divertedFrom...) }

// Request returns the caller's INVITE. The caller must not change it.
func (c *Call) Request() *sip.Request {
	if c.aInv == nil {
		return nil
	}
	return c.aInv.req
}

// targetKey identifies a target for loop detection: where its INVITE goes.
func targetKey(t Target) string {
	u := t.URI.Clone()
	u.Headers = nil
	return u.String()
}
