package call

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/internal/sipx"
)

// phase is where the call as a whole stands.
type phase uint8

const (
	phaseRinging  phase = iota // targets are being tried
	phaseAnswered              // a target answered; the caller has its 2xx
	phaseEnded                 // the call is over and recorded
)

var phaseNames = [...]string{"ringing", "answered", "ended"}

func (p phase) String() string { return phaseNames[p] }

// Call is one B2BUA call: the caller's leg, the legs the PBX originated
// for it, and the bridge that joins them. Every field is owned by the
// call's executor.
type Call struct {
	m   *Manager
	ex  executor
	log *slog.Logger
	ctx context.Context
	end context.CancelFunc
	id  string // the caller's Call-ID

	caller    Caller
	a         *Leg          // the caller's leg (PBX = UAS)
	aInv      *serverInvite // the caller's INVITE transaction
	legs      []*Leg        // every leg the call has had, a first
	bridge    *Bridge       // the bridge the call was set up in
	bridges   []*Bridge     // every bridge the call made (their seams close at the end)
	offer     []byte        // the caller's initial offer (nil: late offer)
	lateOffer bool

	phase    phase
	decision Decision
	branches []*branch // the INVITEs of the current decision
	forks    int       // INVITEs originated so far (History-Info indexes)
	// diversions are the Diversion header values the call gathered, the
	// newest first; tried the target URIs it has sent an INVITE to.
	diversions []string
	// divertedFrom are the numbers the call was diverted from, oldest
	// first (DivertedFrom).
	divertedFrom []string
	// divertCause is the RFC 4458 cause of the latest diversion (0: none),
	// for the History-Info of its forks (history_cause.go).
	divertCause int
	// presented is the calling number the PBX's forks carry in From
	// (Decision.Calling), "" for the caller's own
	presented string
	tried     []string // a few at most: a slice is smaller than a map
	// farEarlyMedia is set once a callee's early media reached the
	// caller: a far end's announcement was heard (FarEarlyMedia).
	farEarlyMedia atomic.Bool
	next          int // sequential decision: the next target to ring
	winner        *Leg
	noAnswer      clock.Timer
	nLegs         int
	// nDecisions counts the decisions applied (forwarding chains are
	// bounded by maxDecisions).
	nDecisions int

	// finalSent closes once the caller's INVITE has a final response:
	// sipgo terminates a server transaction whose handler returns before
	// that, so HandleInvite waits on it.
	finalSent chan struct{}
	ended     chan struct{} // closed when the call is recorded as over
	gone      chan struct{} // closed when its dialogs are forgotten

	rel prackState // reliable provisional responses, both sides (prack.go)
	// xfer is the transfer in progress (transfer.go); billed is the leg
	// of the record's caller after a transfer (nil: the caller's leg).
	xfer   *xfer
	billed *Leg

	rec   cdr.Record
	cdrID int64
}

// ID returns the call's identifier in logs and CDRs (the caller's Call-ID).
func (c *Call) ID() string { return c.id }

// Caller returns the leg of the party that placed the call.
func (c *Call) Caller() *Leg { return c.a }

// Bridge returns the call's current bridge.
func (c *Call) Bridge() *Bridge { return c.bridge }

func (c *Call) setPhase(p phase) {
	if c.phase != p {
		c.log.Debug("call phase", "from", c.phase, "to", p)
		c.phase = p
	}
}

// newLegID names the next leg ("b1", "b2", ...).
func (c *Call) newLegID() string {
	c.nLegs++
	return fmt.Sprintf("b%d", c.nLegs)
}

// addLeg records l as part of the call and indexes its dialog.
func (c *Call) addLeg(l *Leg) {
	l.call = c
	c.legs = append(c.legs, l)
	c.m.addDialog(l)
}

// legFor finds the leg an in-dialog request from a peer belongs to: our
// tag is its To tag, the peer's its From tag.
func (c *Call) legFor(req *sip.Request) *Leg {
	local, remote := tagOf(req.To().Params), tagOf(req.From().Params)
	for _, l := range c.legs {
		if l.callID == req.CallID().Value() && l.localTag == local && (l.remoteTag == remote || l.remoteTag == "") {
			return l
		}
	}
	return nil
}

// after runs f on the executor after d (f checks whether it still applies).
func (c *Call) after(d time.Duration, f func()) clock.Timer {
	return c.m.clock.AfterFunc(d, func() { c.ex.post(f) })
}

// markFinalSent releases HandleInvite once the caller's INVITE is answered.
func (c *Call) markFinalSent() {
	select {
	case <-c.finalSent:
	default:
		close(c.finalSent)
	}
}

// finish records the call and forgets it. It runs once; the CDR is
// committed before it returns, so whoever sees the call end (a 200 to a
// BYE goes out after this) also finds its record.
func (c *Call) finish(disp cdr.Disposition, cause int, reason string) {
	if c.phase == phaseEnded {
		return
	}
	c.setPhase(phaseEnded)
	c.stopTimers()
	if c.noAnswer != nil {
		c.noAnswer.Stop()
	}
	for _, l := range c.legs {
		if l.inv != nil {
			l.inv.release() // a 2xx still waiting for its ACK keeps waiting
		}
	}
	c.rec.End = c.m.clock.Now()
	c.rec.Disposition = disp
	c.rec.Cause = cause
	if len(c.diversions) > 0 {
		// the path of a diverted call (newest diversion first)
		reason += "; diverted: " + strings.Join(c.diversions, ", ")
	}
	c.rec.Reason = reason
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.m.deps.CDR.Finish(ctx, c.cdrID, c.rec); err != nil {
		c.log.Error("write CDR", "error", err)
	}
	c.log.Info("call ended", "caller", c.rec.Caller, "dialled", c.rec.Dialled, "callee", c.rec.Callee,
		"disposition", disp, "cause", cause, "reason", reason)
	for _, b := range c.bridges {
		b.media.Close()
	}
	c.markFinalSent()
	close(c.ended)
	c.m.untrack(c)
	c.m.deps.Policy.OnHangup(c.ctx, Ended{Record: c.rec})
	c.end()
	// The dialogs linger for 64*T1 so that late ACKs, BYE answers and
	// retransmitted 2xx still find their legs (RFC 3261 §13.3.1.4, §17).
	c.m.clock.AfterFunc(64*c.m.timers.T1, func() { c.ex.post(func() { c.m.forget(c) }) })
}

// terminate ends the call from the PBX's side (shutdown, no ACK): BYE on
// the answered legs, or CANCEL the forks and 480 to the caller while
// ringing.
func (c *Call) terminate(reason string) {
	switch c.phase {
	case phaseRinging:
		c.stopRinging(480, "Temporarily Unavailable", cdr.Failed, reason)
	case phaseAnswered:
		// the record first: a peer that never answers the BYE must not
		// hold the CDR (or a shutdown) for 64*T1
		legs := c.liveLegs()
		c.m.ending.Add(len(legs)) // before the call is forgotten: Shutdown waits for these
		c.finish(cdr.Answered, 200, reason)
		for _, l := range legs {
			c.endLeg(l, nil, &c.m.ending)
		}
	}
}

// upLegs are the call's legs whose dialog is up.
func (c *Call) upLegs() []*Leg { return c.legsWhere(func(l *Leg) bool { return l.state.Up() }) }

// liveLegs are the legs an answered call must end: those up, and those
// the PBX is still setting up (a transfer target whose first response has
// not come: endLeg cancels it once one does, RFC 3261 §9.1).
func (c *Call) liveLegs() []*Leg {
	return c.legsWhere(func(l *Leg) bool {
		return l.state.Up() || (l.state == LegTrying && l.branch != nil && l.branch.final == nil)
	})
}

// legsWhere are the call's legs that keep says to.
func (c *Call) legsWhere(keep func(*Leg) bool) []*Leg {
	var out []*Leg
	for _, l := range c.legs {
		if keep(l) {
			out = append(out, l)
		}
	}
	return out
}

// newBridge makes a bridge with its own seam from the manager's factory.
func (c *Call) newBridge(legs ...*Leg) *Bridge {
	b := newBridge(c.m.media(c), legs...)
	c.bridges = append(c.bridges, b)
	return b
}

// bye ends leg l with BYE in the background (bounded by 64*T1), carrying
// the given Reason headers. On a leg whose 2xx from the PBX still waits
// for its ACK, the BYE waits for the ACK or for the 2xx's retransmission to
// give up (RFC 3261 §15). reserved, if not nil, was Add(1)ed by the caller
// for this BYE (Shutdown waits on it); bye calls Done when the BYE is over.
func (c *Call) bye(l *Leg, reasons []sip.Header, reserved ...*sync.WaitGroup) {
	var g *sync.WaitGroup
	if len(reserved) > 0 {
		g = reserved[0]
	}
	if !l.state.Up() || l.byeSent {
		if g != nil {
			g.Done()
		}
		return
	}
	if l.inv.waitingAck() {
		l.inv.afterAck = append(l.inv.afterAck, func() { c.bye(l, reasons, reserved...) })
		return
	}
	c.ackPendingOffer(l)
	l.byeSent = true
	l.event(EvBye)
	req := l.request(c.m.deps.Token, sip.BYE, l.nextSeq(), nil, "", -1)
	for _, h := range reasons {
		req.AppendHeader(sip.HeaderClone(h))
	}
	c.m.background(func(ctx context.Context) {
		if g != nil {
			defer g.Done()
		}
		ctx, cancel := context.WithTimeout(ctx, 64*c.m.timers.T1)
		defer cancel()
		if _, err := c.m.do(ctx, req); err != nil {
			c.log.Debug("BYE", "leg", l.id, "error", err)
		}
		c.ex.post(func() {
			l.event(EvEnd)
			c.endIfIdle()
		})
	})
}

// endLeg releases an up leg of a call that is over: one the PBX
// originated that still rings (an early dialog of a pending INVITE) is
// cancelled, as CANCEL and not BYE stops an INVITE (RFC 3261 §9.1); any
// other gets BYE. reserved is as for bye.
func (c *Call) endLeg(l *Leg, reasons []sip.Header, reserved ...*sync.WaitGroup) {
	if b := l.branch; (l.state == LegEarly || l.state == LegTrying) && b != nil && b.final == nil {
		c.cancelBranch(b, reasons)
		for _, g := range reserved {
			g.Done()
		}
		return
	}
	c.bye(l, reasons, reserved...)
}

// endIfIdle ends an answered call none of whose legs is up any more: a
// service split its bridge and each leg ended on its own (without this the
// call, its CDR and Active would stay until shutdown).
func (c *Call) endIfIdle() {
	if c.phase == phaseAnswered && len(c.upLegs()) == 0 {
		c.finish(cdr.Answered, 200, "every leg hung up")
	}
}

// respond sends a response on a server transaction; errors are logged.
func (c *Call) respond(tx sipx.Tx, res *sip.Response) {
	if err := tx.Respond(res); err != nil {
		c.log.Debug("respond", "status", res.StatusCode, "error", err)
	}
}
