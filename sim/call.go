package sim

import (
	"context"
	"time"

	"pbxlab/sim/phone"
	"pbxlab/sim/quality"
	"pbxlab/sim/report"
	"pbxlab/sim/scenario"
)

// legWait bounds how long the runner looks for the callee's leg of an
// answered call (it exists from the INVITE on, so this is generous).
const legWait = 2 * time.Second

// placeCall makes one call from caller to callee through the target and
// records its outcome: ring until answered (or ring_timeout, then CANCEL),
// prove two-way audio during the planned hold (media calls), hang up.
func (r *runner) placeCall(ctx context.Context, caller, callee *phone.Phone, pc scenario.PlannedCall) {
	mode := r.modes[callee.Number()]
	log := newCallLog(r.cfg.log, "caller", caller.Number(), "callee", callee.Number(), "behaviour", mode)
	call, ok := r.dial(ctx, caller, callee.Number(), log)
	if !ok {
		return
	}
	if call.Code() >= 200 && call.Code() < 300 {
		r.hold(ctx, call, caller, callee, pc)
	}
	out := report.CallOutcome{Code: call.Code(), Expected: expected(mode, call.Code()), CallID: call.CallID(),
		Caller: caller.Number(), Callee: callee.Number()}
	if d, ok := call.SetupTime(); ok {
		out.Setup = d
	}
	if d, ok := call.RingTime(); ok {
		out.Ring = d
	}
	r.col.Call(out)
	if log.debugEnabled() {
		log.Debug("call done", "code", out.Code, "expected", out.Expected, "end", call.End())
	}
}

// hold keeps an answered call up for its planned hold, checking two-way
// audio meanwhile (media calls), then hangs up.
func (r *runner) hold(ctx context.Context, call *phone.Call, caller, callee *phone.Phone, pc scenario.PlannedCall) {
	holdCtx, stop := withClockTimeout(ctx, r.cfg.clock, pc.Hold)
	defer stop()
	var leg *phone.Call
	verify := r.sc.Audio.Verify && pc.Media
	if verify || pc.Journey != nil {
		leg = r.findLeg(holdCtx, callee, caller.Number(), caller.Identity())
		if leg != nil {
			defer r.claimed.Delete(leg)
		}
	}
	if verify {
		if leg == nil {
			r.cfg.log.Info("audio not verified", "error", wrapCall(caller, callee, errNoCalleeLeg))
			r.col.Audio(false)
		} else {
			tw, err := phone.VerifyTwoWay(holdCtx, call, leg)
			if err != nil {
				r.cfg.log.Info("audio not verified", "error", wrapCall(caller, callee, err),
					"caller_heard", tw.A.Heard, "callee_heard", tw.B.Heard)
			}
			r.col.Audio(err == nil)
		}
	}
	var j *journey
	if pc.Journey != nil {
		j = &journey{r: r, call: call, caller: caller, callee: callee, leg: leg,
			log: r.cfg.log.With("caller", caller.Number(), "callee", callee.Number())}
		j.run(ctx, pc.Journey)
	}
	select {
	case <-holdCtx.Done():
	case <-call.Done():
	}
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
	defer cancel()
	if err := call.Hangup(hctx); err != nil {
		r.cfg.log.Info("hangup failed", "error", wrapCall(caller, callee, err))
	}
	if j != nil {
		j.finish(ctx, holdCtx)
	}
	if leg != nil {
		wctx, wcancel := context.WithTimeout(hctx, legWait)
		_, _ = leg.Wait(wctx)
		wcancel()
	}
	if pc.Media {
		r.col.Quality(streamOf(call.Quality()))
	}
	if leg != nil && verify { // a leg found for the journey only is not measured
		r.col.Quality(streamOf(leg.Quality()))
	}
}

// streamOf is what the report keeps of a leg's quality measurement.
func streamOf(q quality.Report) report.Stream {
	return report.Stream{Received: q.Received, LossPercent: q.LossPercent, Jitter: q.Jitter,
		Delay: q.DelayMean, DelayKnown: q.DelayKnown && q.DelaySamples > 0, MOS: q.MOS}
}

// findLeg finds the callee's answered incoming leg of a call from the
// number caller and claims it (so a concurrent call between the same pair
// takes the other one). A PBX may rewrite the caller ID, so after a while
// any unclaimed answered incoming call is taken; it is then told to expect
// the caller's identity.
func (r *runner) findLeg(ctx context.Context, callee *phone.Phone, caller string, identity phone.Identity) *phone.Call {
	ctx, cancel := context.WithTimeout(ctx, legWait)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for start := time.Now(); ; {
		anyCaller := time.Since(start) > legWait/2
		for _, c := range callee.Calls() {
			if c.Direction() != phone.Incoming || c.State() != phone.Answered {
				continue
			}
			if c.Remote() != caller && !anyCaller {
				continue
			}
			if _, taken := r.claimed.LoadOrStore(c, struct{}{}); !taken {
				c.ExpectIdentity(identity)
				return c
			}
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return nil
		}
	}
}

// placeRemoteCall calls a number outside the population (calls.remote: a
// phone of another PBX, run by another simulator). It is expected to
// answer; while the call is held the caller checks that it hears the
// dialled number's identity (the far side's own check is its simulator's).
func (r *runner) placeRemoteCall(ctx context.Context, caller *phone.Phone, pc scenario.PlannedCall) {
	log := newCallLog(r.cfg.log, "caller", caller.Number(), "callee", pc.Number, "remote", true)
	call, ok := r.dial(ctx, caller, pc.Number, log)
	if !ok {
		return
	}
	r.holdOut(ctx, call, caller, log, pc, nil)
	r.col.Call(outcome(call, true))
	if log.debugEnabled() {
		log.Debug("call done", "code", call.Code(), "end", call.End())
	}
}

// placeShardCall calls a phone of the population that another shard runs
// (WithShard): its outcome is expected to be what the plan told the callee
// to do; while an answered call is held the caller checks that it hears
// the callee's identity (the callee's side of the check is out of reach),
// so the call gives one quality stream, not two.
func (r *runner) placeShardCall(ctx context.Context, caller *phone.Phone, pc scenario.PlannedCall) {
	mode := r.modes[pc.Number]
	log := newCallLog(r.cfg.log, "caller", caller.Number(), "callee", pc.Number, "behaviour", mode, "other_shard", true)
	call, ok := r.dial(ctx, caller, pc.Number, log)
	if !ok {
		return
	}
	r.holdOut(ctx, call, caller, log, pc, nil)
	out := outcome(call, true)
	out.Expected = expected(mode, call.Code())
	r.col.Call(out)
	if log.debugEnabled() {
		log.Debug("call done", "code", out.Code, "expected", out.Expected, "end", call.End())
	}
}

// holdOut holds an answered call whose far end is not the population's
// (a remote number, a carrier) for hold, the caller checking it hears the
// identity it expects (when the call has media), then hangs up. An
// unanswered call is left.
//
// far, when set, finds the far end's leg when the simulator holds it too
// (a simulated carrier's, the DID phone of a carrier's call): then both
// legs are checked as VerifyTwoWay does, and a far leg not found fails
// the check.
func (r *runner) holdOut(ctx context.Context, call *phone.Call, caller *phone.Phone, log *callLog, pc scenario.PlannedCall,
	far func(context.Context) *phone.Call) {
	if call.Code() < 200 || call.Code() >= 300 {
		return
	}
	verify := r.sc.Audio.Verify && pc.Media
	var j *journey
	var holdCtx context.Context
	if verify || pc.Journey != nil {
		var stop context.CancelFunc
		holdCtx, stop = withClockTimeout(ctx, r.cfg.clock, pc.Hold)
		if verify {
			if leg := r.checkAudio(holdCtx, call, log, far); leg != nil {
				defer r.claimed.Delete(leg)
			}
		}
		if pc.Journey != nil { // the far end is not ours: no leg to check
			j = &journey{r: r, call: call, caller: caller, log: log.logger()}
			j.run(ctx, pc.Journey)
		}
		select {
		case <-holdCtx.Done():
		case <-call.Done():
		}
		stop()
	} else {
		// a timer channel: no context, nor a goroutine for the timer's
		// function, per call
		select {
		case <-r.cfg.clock.After(r.coalesce(pc.Hold)):
		case <-call.Done():
		case <-ctx.Done():
		}
	}
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
	if herr := call.Hangup(hctx); herr != nil && call.State() != phone.Ended {
		log.Info("hangup failed", "error", herr)
	}
	cancel()
	if j != nil {
		j.finish(ctx, holdCtx)
	}
	if pc.Media {
		r.col.Quality(streamOf(call.Quality()))
	}
}

// dial places a call and waits up to the ring timeout for its answer,
// CANCELling it after that (or when the run stops). A call that could not
// be placed is counted as unexpected and dial reports false.
func (r *runner) dial(ctx context.Context, caller *phone.Phone, number string, log *callLog) (*phone.Call, bool) {
	call, err := caller.Dial(ctx, number)
	if err != nil {
		log.Info("dial failed", "error", err)
		r.col.Call(report.CallOutcome{Expected: false})
		return nil, false
	}
	// the final response, within the ring timeout (a timer channel: no
	// context per call)
	select {
	case <-call.Final():
		return call, true
	case <-r.cfg.clock.After(r.sc.Calls.RingTimeout):
	case <-ctx.Done():
	}
	if call.State() != phone.Ended {
		// Ring timeout (or the run is stopping): CANCEL.
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
		if herr := call.Hangup(hctx); herr != nil {
			log.Info("cancel failed", "error", herr)
		}
		cancel()
	}
	return call, true
}

// checkAudio is holdOut's audio check, counted in the report: call hears
// the identity it expects and, with far, the far leg far finds hears
// call's. It returns that leg (claimed: the caller releases it), if any.
func (r *runner) checkAudio(ctx context.Context, call *phone.Call, log *callLog, far func(context.Context) *phone.Call) *phone.Call {
	if far == nil {
		res, err := call.TwoWayAudio(ctx)
		if err != nil {
			log.Info("audio not verified", "error", err, "heard", res.Heard)
		}
		r.col.Audio(err == nil)
		return nil
	}
	leg := far(ctx)
	if leg == nil {
		log.Info("audio not verified", "error", errNoCalleeLeg)
		r.col.Audio(false)
		return nil
	}
	tw, err := phone.VerifyTwoWay(ctx, call, leg)
	if err != nil {
		log.Info("audio not verified", "error", err, "heard", tw.A.Heard, "far_heard", tw.B.Heard)
	}
	r.col.Audio(err == nil)
	return leg
}
