package call

import (
	"context"
	"errors"
	"fmt"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/internal/sipx"
)

// Fork rings the targets of d from the caller's leg: all at once (RFC 3261
// §16.6-16.7 rules for the response, applied by a UA), or one after another
// when d.Sequential, each for its Target.Ring. It must run on the call's
// executor.
func (c *Call) Fork(d Decision) {
	if c.phase != phaseRinging {
		return
	}
	if d.Diversion != nil {
		var ok bool
		if d, ok = c.divert(d); !ok {
			return
		}
	}
	c.decision = d
	c.branches = nil
	c.next = 0
	if len(d.Targets) == 0 {
		c.targetsFailed(Unreachable, nil)
		return
	}
	if c.noAnswer == nil {
		ring := c.m.timers.NoAnswer
		if d.NoReply > 0 && d.NoReply < ring {
			ring = d.NoReply
		}
		c.noAnswer = c.after(ring, c.onNoAnswer)
	}
	if d.Sequential {
		c.ringNext()
		return
	}
	var lastErr error
	for _, t := range d.Targets {
		if !c.admit(t) {
			continue
		}
		b, err := c.startBranch(t)
		if err != nil {
			c.log.Warn("fork", "target", t.URI.String(), "error", err)
			lastErr = err
			continue
		}
		if t.Ring > 0 { // a ring-all hunt group's no-answer timer
			b.ring = c.after(t.Ring, func() { c.onRingTimeout(b) })
		}
	}
	c.next = len(d.Targets)
	if len(c.branches) == 0 {
		c.targetsFailed(Unreachable, startFailure(lastErr))
	}
}

// startFailure is the response standing for a target that could not even
// be tried: the status of err when it carries one (503 when the media server
// has no port left, 488 when nothing can be bridged), else none.
func startFailure(err error) *sip.Response {
	var se *sipx.StatusError
	if !errors.As(err, &se) {
		return nil
	}
	return sip.NewResponse(se.Code, se.Reason)
}

// startBranch originates a leg towards t with the caller's offer passed
// through the bridge's seam.
func (c *Call) startBranch(t Target) (*branch, error) {
	b, err := c.originate(t, c.a, c.offer, c.onBranchResponse)
	if err == nil {
		c.branches = append(c.branches, b)
	}
	return b, err
}

// ringNext starts the next target of a sequential decision.
func (c *Call) ringNext() {
	for c.next < len(c.decision.Targets) {
		t := c.decision.Targets[c.next]
		c.next++
		if !c.admit(t) {
			continue
		}
		b, err := c.startBranch(t)
		if err != nil {
			c.log.Warn("hunt", "target", t.URI.String(), "error", err)
			continue
		}
		if t.Ring > 0 {
			b.ring = c.after(t.Ring, func() { c.onRingTimeout(b) })
		}
		c.armProgress(b)
		return
	}
	c.branchesDone()
}

// onRingTimeout moves a sequential decision on when a target rang for its
// Ring time: it is cancelled and the next one rings (in a parallel
// decision: the others ring on; once all failed, OnFailure is asked).
func (c *Call) onRingTimeout(b *branch) {
	if b.final != nil || c.phase != phaseRinging {
		return
	}
	c.cancelBranch(b, nil)
	b.final = sip.NewResponseFromRequest(b.invite, 480, "No Answer", nil)
	c.advance()
}

// advance continues a decision after a branch failed: the next target of a
// sequential decision, or the failure once every branch has failed.
func (c *Call) advance() {
	for _, b := range c.branches {
		if b.final == nil {
			return
		}
	}
	if c.decision.Sequential && c.next < len(c.decision.Targets) {
		c.ringNext()
		return
	}
	c.branchesDone()
}

// branchesDone runs when every branch of the decision failed.
func (c *Call) branchesDone() {
	var finals []*sip.Response
	for _, b := range c.branches {
		finals = append(finals, b.final)
	}
	if len(finals) == 0 {
		c.targetsFailed(Unreachable, nil)
		return
	}
	best := bestResponse(finals)
	c.targetsFailed(failureKind(best.StatusCode), best)
}

// targetsFailed asks Policy.OnFailure what now: a new decision continues
// the call, none sends the failure to the caller.
func (c *Call) targetsFailed(kind FailureKind, best *sip.Response) {
	if c.noAnswer != nil {
		c.noAnswer.Stop()
		c.noAnswer = nil
	}
	nd, err := c.m.deps.Policy.OnFailure(c.ctx, Failure{Kind: kind, Caller: c.caller, Callee: c.rec.Callee, Response: best, Call: c})
	if err != nil {
		c.failWith(err)
		return
	}
	if nd != nil {
		c.log.Debug("failure rerouted", "kind", kind, "decision", nd.Kind)
		c.apply(*nd)
		return
	}
	c.failTargets(kind, best)
}

// Fail ends the call with a failure of its targets as if Policy.OnFailure
// had let it through: the best response relayed to the caller (480 when
// there is none), the CDR disposition of its kind. A service the policy
// returned for a failure (an announcement) ends the call with it.
func (c *Call) Fail(f Failure) { c.failTargets(f.Kind, f.Response) }

// failTargets sends a failure of the decision's targets to the caller.
func (c *Call) failTargets(kind FailureKind, best *sip.Response) {
	disp, why := cdr.Failed, ""
	switch kind {
	case Unreachable:
		why = "no reachable contact"
	case Busy:
		disp = cdr.Busy
	case NoAnswer:
		disp, why = cdr.NoAnswer, "no answer"
	case Rejected:
		disp = dispositionFor(best.StatusCode)
	}
	if best == nil {
		best = sip.NewResponse(480, "Temporarily Unavailable")
	}
	c.failCaller(best, disp, why)
}

func failureKind(code int) FailureKind {
	switch code {
	case 486, 600:
		return Busy
	case 408, 480:
		return NoAnswer
	case 503:
		return Unreachable
	}
	return Rejected
}

// bestResponse chooses the response for the caller when every branch
// failed (after RFC 3261 §16.7 (6)): a 6xx wins; else 486 if any callee was
// busy ("all busy"); else the lowest class, the first of it.
func bestResponse(finals []*sip.Response) *sip.Response {
	var best *sip.Response
	for _, r := range finals {
		switch {
		case r.StatusCode >= 600:
			return r
		case best == nil:
			best = r
		case r.StatusCode == 486 && best.StatusCode != 486:
			best = r
		case best.StatusCode != 486 && r.StatusCode/100 < best.StatusCode/100:
			best = r
		}
	}
	return best
}

// onNoAnswer fires when the targets rang for longer than the no-answer
// timer: every branch is cancelled and OnFailure asked (forwarding on no
// reply), else the caller gets 480.
func (c *Call) onNoAnswer() {
	c.noAnswer = nil
	if c.phase != phaseRinging {
		return
	}
	for _, b := range c.branches {
		if b.final == nil {
			c.cancelBranch(b, nil)
			b.final = sip.NewResponseFromRequest(b.invite, 480, "Temporarily Unavailable", nil)
		}
	}
	c.next = len(c.decision.Targets)
	c.targetsFailed(NoAnswer, sip.NewResponse(480, "Temporarily Unavailable"))
}

// onBranchResponse takes a response to one of the call's INVITEs.
func (c *Call) onBranchResponse(b *branch, res *sip.Response) {
	if res.StatusCode >= 200 && b.progress != nil {
		b.progress.Stop()
	}
	switch {
	case res.StatusCode < 200:
		c.onBranchProvisional(b, res)
	case res.IsSuccess():
		c.onBranchAnswer(b, res)
	default:
		c.onBranchFailure(b, res)
	}
}

// onBranchProvisional relays 180/183 to the caller; early-media SDP passes
// the bridge's early-media rule (media.go).
func (c *Call) onBranchProvisional(b *branch, res *sip.Response) {
	b.provisional = true
	if b.cancelPending && !b.cancelSent {
		c.sendCancel(b)
		return
	}
	if res.StatusCode == 100 {
		return
	}
	b.progressed = true
	l := c.branchLeg(b, res)
	if tagOf(res.To().Params) != "" {
		l.event(EvEarly)
		l.refreshTarget(res)
	} else {
		l.event(EvTrying)
	}
	relaying := c.phase == phaseRinging && b.final == nil && !b.cancelSent
	if !c.takeReliable(l, res, relaying) || !relaying {
		return // a retransmitted reliable provisional (prack_uac.go), or nothing to relay
	}
	code, reason := res.StatusCode, res.Reason
	var body []byte
	if hasSDP(res) {
		err := sdpProblem(res.Body()) // a carrier's garbage is not the caller's to read
		if err == nil {
			body, err = c.bridge.earlyMedia(l, c.a, res.Body(), c.lateOffer)
		}
		if err != nil {
			c.log.Warn("early media", "leg", l.id, "error", err)
			body = nil
		}
		if len(body) == 0 {
			code, reason = 180, "Ringing"
		} else {
			c.farEarlyMedia.Store(true)
		}
	}
	c.a.event(EvEarly)
	c.relayProvisional(l, code, reason, body)
}

// FarEarlyMedia reports whether a callee's early media (a provisional
// response with SDP, e.g. a far end's announcement) was relayed to the
// caller: a failure after it was already announced by the far end.
func (c *Call) FarEarlyMedia() bool { return c.farEarlyMedia.Load() }

// onBranchAnswer takes a 2xx to one of the call's INVITEs: the first wins
// the call; any other (a late answer from another fork, or one after the
// caller gave up) gets ACK then BYE (RFC 3261 §13.2.2.4).
func (c *Call) onBranchAnswer(b *branch, res *sip.Response) {
	l := c.branchLeg(b, res)
	if l.state == LegAnswered || l.state == LegConfirmed {
		c.onUAC2xx(l, res)
		return
	}
	c.earlyAnswer(l, res) // offer/answer done in reliable provisionals (prack_uac.go)
	if err := answerProblem(b.invite, res); err != nil {
		c.brokenAnswer(b, l, res, err)
		return
	}
	l.event(EvAnswer)
	l.refreshTarget(res)
	if b.ring != nil {
		b.ring.Stop()
	}
	if c.phase != phaseRinging || c.winner != nil || (b.final != nil && !b.final.IsSuccess()) {
		if b.final == nil {
			b.final = res
		}
		c.ackAndBye(l, res)
		return
	}
	b.final = res
	c.answered(l, res)
}

// answered makes w the callee of the call: the other branches are
// cancelled (Reason: SIP ;cause=200, RFC 3326), the bridge keeps the caller
// and w, and the caller gets its 200 with the answer through the seam (or,
// for a late offer, w's offer, whose answer comes in the caller's ACK).
func (c *Call) answered(w *Leg, res *sip.Response) {
	c.winner = w
	c.timerFrom2xx(w, res)
	c.setPhase(phaseAnswered)
	if c.noAnswer != nil {
		c.noAnswer.Stop()
		c.noAnswer = nil
	}
	c.rec.Answer = c.m.clock.Now()
	elsewhere := []sip.Header{sip.NewHeader("Reason", `SIP ;cause=200 ;text="Call completed elsewhere"`)}
	for _, b := range c.branches {
		if b != w.branch {
			c.cancelBranch(b, elsewhere)
		}
	}
	// w may not be in the bridge yet: a fork joins it only when the caller's
	// offer crossed to it, and a sibling (another To tag) never did
	c.bridge.add(w)
	for _, l := range c.bridge.Legs() {
		if l != c.a && l != w {
			c.bridge.remove(l)
		}
	}
	c.bridge.early = nil
	seq := res.CSeq().SeqNo
	var (
		body  []byte
		err   error
		onAck func(*sip.Request)
	)
	if c.lateOffer {
		body, err = c.bridge.offer(w, c.a, res.Body())
		onAck = func(ack *sip.Request) {
			if w.lateOffer == nil {
				return // the call ended first: w's 2xx was ACKed declining its offer
			}
			if err := ackAnswerProblem(res.Body(), ack); err != nil {
				// RFC 3264 broken on the caller's side: w's offer is
				// declined in its ACK and both dialogs end
				c.log.Warn("caller's ACK breaks offer/answer: call ended", "error", err)
				c.ackPendingOffer(w)
				c.terminate("offer/answer failure: " + err.Error())
				return
			}
			w.lateOffer = nil
			ans, err := c.bridge.answer(c.a, w, ack.Body())
			if err != nil {
				c.log.Warn("late-offer answer", "error", err)
			}
			c.ack(w, seq, ans)
		}
	} else {
		body, err = c.bridge.answer(w, c.a, res.Body())
		c.ack(w, seq, nil)
	}
	if err != nil {
		c.log.Warn("answer through the media seam", "leg", w.id, "error", err)
		if c.lateOffer {
			c.ackAndBye(w, res)
		} else {
			c.bye(w, nil)
		}
		c.failCaller(sip.NewResponse(500, "Server Internal Error"), cdr.Failed, "media: "+err.Error())
		return
	}
	if c.lateOffer {
		w.lateOffer = &pendingOffer{sdp: res.Body(), seq: seq} // until the caller's ACK answers it
	}
	c.a.event(EvAnswer)
	c.respondInvite(c.aInv, c.inviteResponse(c.aInv, 200, "OK", body), onAck)
	ctx, cancel := context.WithTimeout(context.Background(), 4*c.m.timers.T2)
	defer cancel()
	if err := c.m.deps.CDR.Answered(ctx, c.cdrID, c.rec.Answer); err != nil {
		c.log.Warn("record answer", "error", err)
	}
	c.log.Debug("call answered", "leg", w.id)
	c.m.deps.Policy.OnAnswer(c.ctx, Answered{Caller: c.caller, Callee: c.rec.Callee, Call: c})
}

// brokenAnswer takes a 2xx that breaks offer/answer (answerProblem): it is
// ACKed and its dialog ended with BYE, and the branch counts as failed
// with 488 and a Warning saying why (the caller gets it if no other fork
// answers; the CDR shows 488).
func (c *Call) brokenAnswer(b *branch, l *Leg, res *sip.Response, why error) {
	c.log.Warn("callee's 2xx breaks offer/answer: ACK and BYE", "leg", l.id, "error", why)
	if b.ring != nil {
		b.ring.Stop()
	}
	c.ackAndBye(l, res)
	if b.final != nil {
		return
	}
	fail := sip.NewResponse(488, "Not Acceptable Here")
	fail.AppendHeader(sip.NewHeader("Warning", fmt.Sprintf("399 pbxlab %q", why.Error())))
	b.final = fail
	if c.phase == phaseRinging {
		c.advance()
	}
}

// onBranchFailure records a final failure of a branch and moves on.
func (c *Call) onBranchFailure(b *branch, res *sip.Response) {
	if c.failover(b, res) {
		return // the target's next server (RFC 3263)
	}
	for _, l := range b.legs {
		l.event(EvReject)
	}
	if b.ring != nil {
		b.ring.Stop()
	}
	if b.final != nil {
		return
	}
	b.final = res
	if c.phase != phaseRinging {
		return
	}
	c.targetFailed(b, res)
	c.advance()
}
