package call

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/internal/sipx"
)

// Errors of a transfer.
var (
	// ErrTransferPending: the call already has a transfer in progress.
	ErrTransferPending = errors.New("a transfer is already in progress")
)

// BlindTransfer is a blind transfer (RFC 5589 §6) as the call layer
// carries it out: the transferee's leg Stay is joined with a new leg to
// the first of Targets that answers, and the transferor's leg From leaves
// the call. Who may transfer, where to and what the parties are told is
// the policy's (pbx/transfer.go).
type BlindTransfer struct {
	From, Stay *Leg
	// Targets ring at once; the first 2xx wins, the others are cancelled.
	Targets []Target
	// Caller and Callee are the numbers of the call record the transferee
	// and the target make once the target answers.
	Caller, Callee string
	// Ring bounds how long the targets ring (0: the no-answer timer).
	Ring time.Duration
	// Progress is told, on the executor, of each provisional response of
	// the targets and, with final set, of the outcome: 200 when the
	// transferee and the target are joined, else the failure.
	Progress func(code int, reason string, final bool)
}

// xfer is the state of a call's transfer in progress.
type xfer struct {
	t        BlindTransfer
	legs     []*Leg
	finals   []*sip.Response
	won      bool
	done     bool
	fromGone bool // the transferor hung up meanwhile
	timer    clock.Timer
	rang     bool
	timedOut bool
}

// Transfer starts a blind transfer. The transferor and the transferee stay
// bridged while the target rings, so a failure leaves them talking as
// before; a transferor that hangs up meanwhile is let go and the transfer
// goes on (a failure then ends the call). It runs on the executor.
func (c *Call) Transfer(t BlindTransfer) error {
	switch {
	case c.xfer != nil:
		return fmt.Errorf("transfer to %s: %w", t.Callee, ErrTransferPending)
	case c.phase != phaseAnswered || !t.From.state.Up() || !t.Stay.state.Up():
		return fmt.Errorf("transfer to %s: %w", t.Callee, ErrLegNotUp)
	case t.From.bridge == nil || t.From.bridge.other(t.From) != t.Stay:
		return fmt.Errorf("transfer to %s: %w", t.Callee, ErrNotBridged)
	case len(t.Targets) == 0:
		return fmt.Errorf("transfer to %s: %w", t.Callee, sipx.ErrUnavailable)
	}
	x := &xfer{t: t}
	c.xfer = x
	// the new legs' INVITEs name the target in To
	callee, presented := c.rec.Callee, c.presented
	c.rec.Callee, c.presented = t.Callee, t.Caller
	var lastErr error
	for _, tg := range t.Targets {
		l, err := c.Originate(tg, nil, nil, func(l *Leg, res *sip.Response) { c.xferProgress(x, l, res) })
		if err != nil {
			lastErr = err
			continue
		}
		x.legs = append(x.legs, l)
	}
	c.rec.Callee, c.presented = callee, presented
	if len(x.legs) == 0 {
		c.xfer = nil
		return fmt.Errorf("transfer to %s: %w", t.Callee, lastErr)
	}
	ring := t.Ring
	if ring <= 0 {
		ring = c.m.timers.NoAnswer
	}
	x.timer = c.after(ring, func() {
		if x.done || x.won {
			return
		}
		c.log.Debug("transfer target did not answer", "target", t.Callee)
		x.timedOut = true
		for _, l := range x.legs {
			c.Cancel(l)
		}
	})
	return nil
}

// xferProgress takes a response of one of the transfer's new legs.
func (c *Call) xferProgress(x *xfer, l *Leg, res *sip.Response) {
	if x.done || x.won || c.phase != phaseAnswered {
		if res.IsSuccess() {
			c.Cancel(l) // too late: BYE (after its ACK)
		}
		return
	}
	switch {
	case res.StatusCode < 200:
		if res.StatusCode > 100 && !x.rang {
			x.rang = true
			x.t.Progress(res.StatusCode, res.Reason, false)
		}
	case res.IsSuccess():
		x.won = true
		x.timer.Stop()
		for _, o := range x.legs {
			if o != l {
				c.Cancel(o)
			}
		}
		c.xferJoin(x, l)
	default:
		x.finals = append(x.finals, res)
		if len(x.finals) == len(x.legs) {
			best := bestResponse(x.finals)
			if x.timedOut {
				best = sip.NewResponse(408, "Request Timeout")
			}
			c.xferFail(x, best)
		}
	}
}

// xferJoin joins the transferee with the target's answered leg n.
func (c *Call) xferJoin(x *xfer, n *Leg) {
	from, stay := x.t.From, x.t.Stay
	old := stay.bridge
	if old != nil {
		c.Split(old)
	}
	c.Join(n, stay, func(b *Bridge, err error) {
		if c.phase != phaseAnswered {
			return
		}
		if err != nil || b == nil {
			c.log.Warn("transfer: join transferee and target", "error", err)
			c.bye(n, nil)
			if old != nil && !x.fromGone && from.state.Up() {
				old.add(from)
				old.add(stay) // back as they were (their media never moved)
			}
			c.xferFail(x, sip.NewResponse(500, "Server Internal Error"))
			return
		}
		x.done = true
		c.xfer = nil
		c.bridge = b
		c.rebill(x.t.Caller, x.t.Callee, fmt.Sprintf("transferred to %s", x.t.Callee))
		c.billed = stay
		x.t.Progress(200, "OK", true)
	})
}

// xferFail ends a transfer that failed with res: the transferor is told;
// if it hung up meanwhile, the call ends.
func (c *Call) xferFail(x *xfer, res *sip.Response) {
	if x.done {
		return
	}
	x.done = true
	c.xfer = nil
	if x.timer != nil {
		x.timer.Stop()
	}
	x.t.Progress(res.StatusCode, res.Reason, true)
	if x.fromGone {
		c.terminate(fmt.Sprintf("transfer to %s failed (%d); the transferor had hung up", x.t.Callee, res.StatusCode))
	}
}

// xferBye takes a BYE from the transferor while its transfer is in
// progress: its leg leaves the call, which goes on with the transferee.
func (c *Call) xferBye(l *Leg, in *inbound) bool {
	x := c.xfer
	if x == nil || l != x.t.From || x.done {
		return false
	}
	x.fromGone = true
	in.reply(c, sip.NewResponseFromRequest(in.req, 200, "OK", nil))
	l.event(EvBye)
	l.event(EvEnd)
	if l.bridge != nil {
		l.bridge.remove(l)
	}
	return true
}

// rebill closes the call's record as it stands (answered, with the note
// why) and opens a new one for the call's parties from now on: a
// transfer leaves the original call's record and one for the new pair.
func (c *Call) rebill(caller, callee, why string) {
	now := c.m.clock.Now()
	old := c.rec
	old.End = now
	old.Disposition = cdr.Answered
	old.Cause = 200
	old.Reason = why
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.m.deps.CDR.Finish(ctx, c.cdrID, old); err != nil {
		c.log.Error("write CDR", "error", err)
	}
	c.rec = cdr.Record{CallID: c.id, Caller: caller, Dialled: callee, Callee: callee, Setup: now, Answer: now}
	id, err := c.m.deps.CDR.Begin(ctx, c.rec)
	if err != nil {
		c.log.Error("begin CDR", "error", err)
	}
	c.cdrID = id
	c.diversions = nil
}

// Notify sends an in-dialog request of method on leg l (a NOTIFY of a
// REFER's subscription, RFC 3515 §2.4.4) with headers and a body of type
// ct, and runs then on the executor with its final response (nil on
// error).
func (c *Call) Notify(l *Leg, method sip.RequestMethod, headers []sip.Header, ct string, body []byte, then func(*sip.Response, error)) error {
	if !l.state.Up() || l.byeSent {
		return fmt.Errorf("%s on leg %s: %w", method, l.id, ErrLegNotUp)
	}
	req := l.request(c.m.deps.Token, method, l.nextSeq(), body, ct, -1)
	for _, h := range headers {
		req.AppendHeader(sip.HeaderClone(h))
	}
	c.sendRequest(l, req, func(res *sip.Response, err error) {
		if then != nil {
			then(res, err)
		}
	})
	return nil
}

// Transferring reports whether the call has a transfer in progress.
func (c *Call) Transferring() bool { return c.xfer != nil }

// recordCaller is the leg of the party the call's record names as caller.
func (c *Call) recordCaller() *Leg {
	if c.billed != nil {
		return c.billed
	}
	return c.a
}

// End ends leg l: BYE when it is up, CANCEL while it rings.
func (c *Call) End(l *Leg) { c.endLeg(l, nil) }

// Other is the leg joined with l in its two-party bridge, nil when none.
func (l *Leg) Other() *Leg {
	if l.bridge == nil {
		return nil
	}
	return l.bridge.other(l)
}

// Party is the number of the party on leg l as the call knows it: the
// call's caller on its caller's leg, the callee on another.
func (c *Call) Party(l *Leg) string {
	if l == c.a {
		return c.rec.Caller
	}
	return c.rec.Callee
}

// DialogOf is the leg's dialog as its peer names it in Replaces (RFC 3891):
// the Call-ID, the PBX's tag and the peer's.
func (l *Leg) DialogOf() (callID, localTag, remoteTag string) {
	return l.callID, l.localTag, l.remoteTag
}
