package sim

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"pbxlab/sim/phone"
	"pbxlab/sim/report"
	"pbxlab/sim/scenario"
)

// A journey (calls.journey) is what the caller does on an answered call,
// step by step, each counted in the report with its latency (report
// JourneyStep). A step that fails ends the journey: the steps after it
// are counted skipped, and the call is held and hung up as any other.

// Reasons a step fails that are not a SIP status.
const (
	reasonTimeout     = "timeout"
	reasonStopped     = "run stopped"
	reasonCallEnded   = "call ended"
	reasonNotReceived = "not received"
	reasonNoTarget    = "no target"
	reasonNoLeg       = "no callee leg"
	reasonError       = "error"
)

// journey is one call's run of its journey.
type journey struct {
	r      *runner
	call   *phone.Call  // the caller's call
	caller *phone.Phone // the caller
	callee *phone.Phone // the callee when it is one of the run's phones
	// leg is the callee's leg when the callee is one of this run's
	// phones (nil otherwise): DTMF is checked on it, and it ends the
	// transferee's call with the transfer target.
	leg *phone.Call
	log *slog.Logger
	// conf are the conference calls joined and an attended transfer's
	// call to its target, hung up at the end.
	conf []*phone.Call
	// transferred: a transfer succeeded (the caller's call is over, the
	// callee talks with the target); ended: the journey ended the call.
	transferred, ended bool
}

// run performs the steps in order on the answered call, counting each.
func (j *journey) run(ctx context.Context, steps []scenario.Step) {
	failed := false
	for i, st := range steps {
		// named as written (a transfer's drawn target differs per call)
		res := report.StepResult{Index: i, Kind: st.Kind, Name: j.r.sc.Calls.Journey[i].String()}
		actor := j.actor(st.By)
		if failed || j.ended || (actor != nil && actor.call.State() == phone.Ended && st.Kind != scenario.StepWait) {
			res.Skipped = true
			j.r.col.JourneyStep(res)
			continue
		}
		lat, reason := time.Duration(0), reasonNoLeg
		if actor != nil {
			lat, reason = actor.step(ctx, st)
			if actor != j { // the callee's side: its extra calls, not its flags
				j.conf = actor.conf
			}
		}
		res.Latency, res.Reason = lat, reason
		if reason != "" {
			failed = true
			j.log.Info("journey step failed", "step", i+1, "kind", st.Kind, "reason", reason)
		}
		j.r.col.JourneyStep(res)
	}
}

// actor is who performs a step: the journey itself for the caller, a
// copy with the two sides swapped for the callee (nil when the callee's
// leg is out of reach).
func (j *journey) actor(by string) *journey {
	if by != scenario.ByCallee {
		return j
	}
	if j.leg == nil || j.callee == nil {
		return nil
	}
	c := *j
	c.call, c.leg, c.caller, c.callee = j.leg, j.call, j.callee, j.caller
	c.log = j.log.With("by", scenario.ByCallee)
	return &c
}

// step performs one step: the signalling's latency, or why it failed.
func (j *journey) step(ctx context.Context, st scenario.Step) (time.Duration, string) {
	clk := j.r.cfg.clock
	sctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	start := clk.Now()
	since := func() time.Duration { return clk.Now().Sub(start) }
	switch st.Kind {
	case scenario.StepDTMF:
		if reason := j.dtmf(sctx, st.Digits); reason != "" {
			return 0, reason
		}
		return since(), ""
	case scenario.StepWait:
		if !j.sleep(ctx, st.Duration) {
			return 0, reasonStopped
		}
		return since(), "" // the wait itself
	case scenario.StepHold:
		if err := j.call.Hold(sctx); err != nil {
			return 0, stepReason(err)
		}
		held := since()
		if !j.sleep(ctx, st.Duration) {
			return 0, reasonStopped
		}
		start = clk.Now()
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
		defer rcancel()
		if err := j.call.Resume(rctx); err != nil {
			return 0, stepReason(err)
		}
		return held + since(), ""
	case scenario.StepTransfer:
		if st.To == "" {
			return 0, reasonNoTarget
		}
		var (
			code int
			err  error
		)
		if st.TransferKind == scenario.TransferAttended {
			code, err = j.attended(ctx, sctx, st.To)
		} else {
			code, err = j.call.Transfer(sctx, st.To)
		}
		var consult consultError
		switch {
		case errors.As(err, &consult):
			return 0, string(consult)
		case errors.Is(err, phone.ErrRefer) && code != 0:
			return 0, "refer " + strconv.Itoa(code)
		case err != nil:
			return 0, stepReason(err)
		case code != 200:
			return 0, "notify " + strconv.Itoa(code)
		}
		j.transferred, j.ended = true, true
		return since(), ""
	case scenario.StepConference:
		return j.conference(ctx, st.To)
	case scenario.StepHangup:
		if err := j.call.Hangup(sctx); err != nil {
			return 0, stepReason(err)
		}
		j.ended = true
		return since(), ""
	}
	return 0, reasonError
}

// dtmf keys digits: RFC 4733 events when the call has media with
// telephone-event negotiated (checked on the callee's leg when it is
// ours), else SIP INFO application/dtmf-relay (each answered 2xx).
func (j *journey) dtmf(ctx context.Context, digits string) string {
	before, beforeInfo := "", ""
	if j.leg != nil {
		before, beforeInfo = j.leg.Digits(), j.leg.InfoDigits()
	}
	err := j.call.SendDTMF(ctx, digits)
	if errors.Is(err, phone.ErrNoAudio) || errors.Is(err, phone.ErrNoDTMF) {
		if err := j.call.SendInfoDTMF(ctx, digits); err != nil {
			return stepReason(err)
		}
		if j.leg != nil && !j.infoHeard(ctx, beforeInfo, digits) {
			return reasonNotReceived
		}
		return ""
	}
	if err != nil {
		return stepReason(err)
	}
	if j.leg == nil {
		return ""
	}
	wctx, cancel := context.WithTimeout(ctx, legWait)
	defer cancel()
	got, err := j.leg.WaitDigits(wctx, len(before)+len(digits))
	if err != nil || !strings.EqualFold(strings.TrimPrefix(got, before), digits) {
		j.log.Info("dtmf not received", "sent", digits, "received", strings.TrimPrefix(got, before), "error", err)
		return reasonNotReceived
	}
	return ""
}

// infoHeard waits a moment for the callee's leg to have received digits
// as SIP INFO after the before it had (each INFO is answered by the far
// end, so they are there at once through a PBX that relays them).
func (j *journey) infoHeard(ctx context.Context, before, digits string) bool {
	wctx, cancel := context.WithTimeout(ctx, legWait)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if got := strings.TrimPrefix(j.leg.InfoDigits(), before); strings.EqualFold(got, digits) {
			return true
		} else if len(got) >= len(digits) {
			j.log.Info("dtmf not received", "sent", digits, "received", got)
			return false
		}
		select {
		case <-tick.C:
		case <-wctx.Done():
			return false
		}
	}
}

// consultError is why an attended transfer's call to the target failed
// (its reason, "consult 486").
type consultError string

func (e consultError) Error() string { return string(e) }

// attended is an attended transfer (RFC 5589 §7): hold the call, call the
// target, and once it answers REFER the callee to it with Replaces naming
// that call (phone.Call.TransferTo). The PBX ends both of the caller's
// calls; the consultation call is hung up at the end if it is still up.
func (j *journey) attended(ctx, sctx context.Context, number string) (int, error) {
	if err := j.call.Hold(sctx); err != nil {
		return 0, err
	}
	c2, reason := j.dialAnswered(ctx, number)
	if reason != "" {
		return 0, consultError("consult " + reason)
	}
	return j.call.TransferTo(sctx, c2)
}

// dialAnswered places the caller's second call to number (kept in j.conf,
// hung up when the journey ends) and waits up to the ring timeout for its
// answer: the call, or why it was not answered (a status, or a short word).
func (j *journey) dialAnswered(ctx context.Context, number string) (*phone.Call, string) {
	c, err := j.caller.Dial(ctx, number)
	if err != nil {
		return nil, stepReason(err)
	}
	j.conf = append(j.conf, c)
	rctx, stop := withClockTimeout(ctx, j.r.cfg.clock, j.r.sc.Calls.RingTimeout)
	err = c.WaitAnswer(rctx)
	stop()
	if code := c.Code(); code < 200 || code >= 300 {
		if code != 0 {
			return nil, strconv.Itoa(code)
		}
		return nil, stepReason(err)
	}
	return c, ""
}

// conference joins the room at number: a second call of the caller's,
// kept until the journey ends.
func (j *journey) conference(ctx context.Context, number string) (time.Duration, string) {
	cc, reason := j.dialAnswered(ctx, number)
	if reason != "" {
		return 0, reason
	}
	d, _ := cc.SetupTime()
	return d, ""
}

// sleep waits d on the run's clock; false when the run stopped first.
func (j *journey) sleep(ctx context.Context, d time.Duration) bool {
	wctx, stop := withClockTimeout(ctx, j.r.cfg.clock, d)
	defer stop()
	<-wctx.Done()
	return ctx.Err() == nil
}

// finish leaves the conferences joined and, after a transfer, ends the
// callee's call with the target (once hold is over or it ended by
// itself): the population's phones never hang up on their own.
func (j *journey) finish(ctx, holdCtx context.Context) {
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
	defer cancel()
	for _, cc := range j.conf {
		if err := cc.Hangup(hctx); err != nil {
			j.log.Info("leaving the conference failed", "error", err)
		}
	}
	if !j.transferred || j.leg == nil {
		return
	}
	select {
	case <-holdCtx.Done():
	case <-j.leg.Done():
	}
	if err := j.leg.Hangup(hctx); err != nil {
		j.log.Info("hangup of the transferred call failed", "error", err)
	}
}

// stepReason names why a step failed: a SIP status, or a short word.
func stepReason(err error) string {
	var se *phone.StatusError
	switch {
	case errors.As(err, &se):
		return strconv.Itoa(se.Code)
	case errors.Is(err, context.DeadlineExceeded):
		return reasonTimeout
	case errors.Is(err, context.Canceled):
		return reasonStopped
	case errors.Is(err, phone.ErrCallState):
		return reasonCallEnded
	case errors.Is(err, phone.ErrNoDTMF):
		return "dtmf refused"
	}
	return reasonError
}
