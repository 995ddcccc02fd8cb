package call

import (
	"context"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/internal/sipx"
)

// A placed call is one the PBX makes on its own, with no caller leg (a
// wake-up alarm, a group notification): the PBX rings a subscriber's
// contacts in parallel with INVITEs without SDP (the PBX's media is
// chosen once the callee's 2xx brings an offer), the first to answer wins
// and the others are cancelled, and the PBX itself is the far end of the
// answered leg (the media server plays to it). The call is recorded like
// any other (its CDR's caller is Placement.Caller).

// Placement says whom the PBX calls and what it does once answered.
type Placement struct {
	// Caller is the number the INVITEs present (From) and the CDR's caller.
	Caller string
	// Callee is the subscriber called (the CDR's callee and To).
	Callee  string
	Targets []Target
	// Ring bounds the ringing (0: the manager's no-answer timer).
	Ring time.Duration
	// Answer runs on the call's executor when a target answers with an
	// offer: it returns the PBX's SDP answer (the media server's). An
	// error ends the leg.
	Answer func(c *Call, l *Leg, offer []byte) ([]byte, error)
	// Up runs on the executor once the answer is ACKed: the leg is the
	// PBX's to play to; the call ends when the callee hangs up or Hangup.
	Up func(c *Call, l *Leg)
	// Failed runs on the executor when no target answered: the best
	// final status (408 when the ringing timed out, 503 when none was
	// reachable).
	Failed func(code int)
}

// Place starts a placed call and returns it; it rings on its own
// executor. Place fails when the manager is shutting down or no target is
// given.
func (m *Manager) Place(ctx context.Context, p Placement) (*Call, error) {
	if len(p.Targets) == 0 {
		return nil, fmt.Errorf("place a call to %s: %w", p.Callee, sipx.ErrUnavailable)
	}
	id := sipx.NewCallID()
	c, err := m.open(id)
	if err != nil {
		return nil, err
	}
	c.caller = Caller{Number: p.Caller, Trusted: true}
	c.lateOffer = true
	c.bridge = c.newBridge()
	c.rec = cdr.Record{CallID: id, Caller: p.Caller, Dialled: p.Callee, Callee: p.Callee, Setup: m.clock.Now()}
	cid, err := m.deps.CDR.Begin(ctx, c.rec)
	if err != nil {
		c.log.Error("begin CDR", "error", err)
	}
	c.cdrID = cid
	c.markFinalSent()
	c.ex.post(func() { c.ringPlaced(p) })
	return c, nil
}

// ringPlaced sends the placement's INVITEs and bounds the ringing.
func (c *Call) ringPlaced(p Placement) {
	ring := p.Ring
	if ring <= 0 {
		ring = c.m.timers.NoAnswer
	}
	best := 0
	pending := 0
	fail := func(code int) {
		if c.phase != phaseRinging {
			return
		}
		for _, b := range c.branches {
			c.cancelBranch(b, nil)
		}
		c.finish(dispositionFor(code), code, "placed call not answered")
		if p.Failed != nil {
			p.Failed(code)
		}
	}
	for _, t := range p.Targets {
		l, err := c.Originate(t, nil, nil, func(l *Leg, res *sip.Response) { c.placedProgress(p, l, res, &best, &pending, fail) })
		if err != nil {
			c.log.Warn("placed call", "target", t.Dest, "error", err)
			continue
		}
		c.branches = append(c.branches, l.branch)
		pending++
	}
	if pending == 0 {
		fail(503)
		return
	}
	c.noAnswer = c.after(ring, func() { fail(408) })
}

// placedProgress takes each response of a placed call's INVITEs.
func (c *Call) placedProgress(p Placement, l *Leg, res *sip.Response, best *int, pending *int, fail func(int)) {
	switch {
	case res.StatusCode < 200:
		return
	case !res.IsSuccess():
		if *best == 0 || res.StatusCode == 486 || res.StatusCode == 600 {
			*best = res.StatusCode
		}
		*pending--
		if *pending == 0 {
			fail(*best)
		}
		return
	}
	if c.phase != phaseRinging || c.winner != nil {
		// a second answer, or one after the ringing ended: release it
		c.ackPendingOffer(l)
		c.bye(l, nil)
		return
	}
	c.winner = l
	if c.noAnswer != nil {
		c.noAnswer.Stop()
	}
	for _, b := range c.branches {
		if b != l.branch {
			c.cancelBranch(b, nil)
		}
	}
	c.bridge.add(l)
	c.setPhase(phaseAnswered)
	c.rec.Answer = c.m.clock.Now()
	if err := c.m.deps.CDR.Answered(c.ctx, c.cdrID, c.rec.Answer); err != nil {
		c.log.Warn("CDR answer time", "error", err)
	}
	po := l.lateOffer
	if po == nil {
		c.log.Warn("placed call answered without an offer", "leg", l.id)
		c.bye(l, nil)
		return
	}
	l.lateOffer = nil
	ans, err := p.Answer(c, l, po.sdp)
	if err != nil {
		c.log.Warn("placed call: no answer to the callee's offer", "leg", l.id, "error", err)
		c.ack(l, po.seq, nil)
		c.bye(l, nil)
		return
	}
	c.ack(l, po.seq, ans)
	if p.Up != nil {
		p.Up(c, l)
	}
}

// callerName is the display name of the caller's From (none for a placed
// call).
func (c *Call) callerName() string {
	if c.a == nil {
		return ""
	}
	return c.a.remoteName
}

// callerInvite is the caller's INVITE (nil for a placed call).
func (c *Call) callerInvite() *sip.Request {
	if c.aInv == nil {
		return nil
	}
	return c.aInv.req
}
