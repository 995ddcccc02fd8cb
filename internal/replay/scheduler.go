package replay

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/emiago/sipgo/sip"
)

// loop runs the replay: one goroutine owns every leg; the readers and the
// pace timers feed it events.
func (r *Replayer) loop(ctx context.Context) error {
	r.handledAt = make([]time.Time, len(r.plan.steps))
	r.progress = time.Now()
	r.open = newCounter(r.plan.steps)
	for _, st := range r.plan.steps {
		if req, ok := st.leg.steps[0].msg.Msg.(*sip.Request); ok && !st.send && req.Method == sip.REGISTER {
			r.regExpects = append(r.regExpects, st.idx)
		}
	}
	// a registration's answer counts from its REGISTER: the capture may
	// record the PBX's write of the 200 after a call the test placed once
	// it had been read
	slices.SortStableFunc(r.regExpects, func(a, b int) int { return r.regAt(a) - r.regAt(b) })
	for _, lg := range r.plan.legs {
		lg.live = newLegState()
		if lg.steps[0].send {
			lg.live.callID = lg.callID + "-" + r.runID
			lg.party.byCall[lg.live.callID] = lg
		} else {
			lg.party.unbound = append(lg.party.unbound, lg)
		}
		r.active++
		r.markDirty(lg)
	}
	tick := time.NewTicker(min(r.cfg.Timeout/4, 100*time.Millisecond))
	defer tick.Stop()
	for {
		for r.pump(); r.resolvedSince; r.pump() {
			r.recheck()
		}
		if r.active == 0 {
			return nil
		}
		select {
		case ev := <-r.events:
			if err := r.onEvent(ev); err != nil {
				return err
			}
		case lg := <-r.fires:
			lg.live.scheduled, lg.live.fired = false, true
			r.markDirty(lg)
		case now := <-tick.C:
			if err := r.checkTimeouts(now); err != nil {
				return err
			}
			r.finalizeQuiet(now)
		case <-ctx.Done():
			for _, lg := range r.plan.legs {
				if !lg.live.finished {
					r.fail(lg, "replay cancelled: "+ctx.Err().Error())
				}
			}
		}
	}
}

func (r *Replayer) markDirty(lg *leg) {
	if !lg.live.dirty && !lg.live.finished {
		lg.live.dirty = true
		r.dirty = append(r.dirty, lg)
	}
}

func (r *Replayer) pump() {
	for len(r.dirty) > 0 {
		lg := r.dirty[0]
		r.dirty[0] = nil // the backing array keeps no leg of a dropped window
		r.dirty = r.dirty[1:]
		lg.live.dirty = false
		r.advance(lg)
	}
}

// advance sends what the leg may send now and stops at the next expected
// message.
func (r *Replayer) advance(lg *leg) {
	ls := lg.live
	for !ls.finished && ls.cursor < len(lg.steps) {
		s := lg.steps[ls.cursor]
		if !s.send {
			if ls.since.IsZero() {
				ls.since = time.Now()
			}
			return
		}
		if !r.ready(s) {
			if !ls.waiting && r.log.Enabled(context.Background(), slog.LevelDebug) {
				r.log.Debug("replay: waits", "step", s.idx, "label", label(s.msg.Msg), "call", lg.callID, "for", r.blocker(s))
			}
			if !ls.waiting {
				ls.waiting = true
				r.waiting = append(r.waiting, lg)
			}
			return
		}
		if !ls.fired {
			if d := r.cfg.Pace.delay(r.capturedDelay(s)); d > 0 {
				if !ls.scheduled {
					ls.scheduled = true
					r.schedule(lg, d)
				}
				return
			}
		}
		ls.fired = false
		r.sendStep(s)
		if !ls.finished {
			ls.cursor++
			ls.since = time.Time{}
		}
	}
	if !ls.finished {
		r.finish(lg)
	}
}

// capturedDelay is how long after its last cause the capture sent s.
func (r *Replayer) capturedDelay(s *step) time.Duration {
	from := r.plan.start
	if s.cause >= 0 {
		from = r.plan.steps[s.cause].msg.Time
	}
	return s.msg.Time.Sub(from)
}

func (r *Replayer) schedule(lg *leg, d time.Duration) {
	t := time.AfterFunc(d, func() {
		select {
		case r.fires <- lg:
		case <-r.stop:
		}
	})
	r.mu.Lock()
	r.timers = append(r.timers, t)
	r.mu.Unlock()
}

// ready: the messages expected before s have come (or been given up).
// For a leg's first message: those expected at its party before it, and
// every registration's answers before it (a call starts once the callee
// registered, whatever socket it used). For the others: those between the
// leg's previous message and s, in any leg (what the leg's last message
// may have caused, e.g. a B2BUA relaying a 180 before the callee's 200).
// Dialogs that overlap in the capture thus overlap live, and a dialog
// under way waits for nothing else.
func (r *Replayer) ready(s *step) bool {
	if s.pos > 0 {
		return r.open.between(s.leg.steps[s.pos-1].idx, s.idx) == 0
	}
	exp := r.plan.expects[s.party]
	return r.settled(&exp.lowest, exp.idxs, s.idx, self) && r.settled(&r.regLowest, r.regExpects, s.idx, r.regAt)
}

// settled: every step of idxs (ascending by at) that counts before idx is
// settled; *lowest is the first not known settled.
func (r *Replayer) settled(lowest *int, idxs []int, idx int, at func(int) int) bool {
	for *lowest < len(idxs) && r.plan.steps[idxs[*lowest]].state != pending {
		*lowest++
	}
	return *lowest == len(idxs) || at(idxs[*lowest]) >= idx
}

// regAt is where a registration's expected message counts: a response
// at its REGISTER.
func (r *Replayer) regAt(i int) int {
	if s := r.plan.steps[i]; s.prevSend >= 0 && s.leg.steps[0].idx <= s.prevSend {
		if _, isRes := s.msg.Msg.(*sip.Response); isRes {
			return s.prevSend
		}
	}
	return i
}

func self(i int) int { return i }

// blocker describes what a first message waits for, or the first
// expected message in the window of another (debugging).
func (r *Replayer) blocker(s *step) string {
	from := -1
	if s.pos > 0 {
		from = s.leg.steps[s.pos-1].idx
	}
	for i := from + 1; i < s.idx; i++ {
		e := r.plan.steps[i]
		if e.send || e.state != pending || (s.pos == 0 && e.party != s.party && !slices.Contains(r.regExpects, i)) {
			continue
		}
		return fmt.Sprintf("%d %s call %s", i, label(e.msg.Msg), e.leg.callID)
	}
	return "nothing"
}

// recheck wakes the waiting legs that may go on.
func (r *Replayer) recheck() {
	kept := r.waiting[:0]
	for _, lg := range r.waiting {
		if r.ready(lg.steps[lg.live.cursor]) {
			lg.live.waiting = false
			r.markDirty(lg)
		} else {
			kept = append(kept, lg)
		}
	}
	r.waiting = kept
	r.resolvedSince = false
}

// counter counts the expected messages not yet settled, by step index
// (a Fenwick tree).
type counter []int

func newCounter(steps []*step) counter {
	c := make(counter, len(steps)+1)
	for _, s := range steps {
		if !s.send {
			c.add(s.idx, 1)
		}
	}
	return c
}

func (c counter) add(i, d int) {
	for i++; i < len(c); i += i & -i {
		c[i] += d
	}
}

// prefix counts indexes 0..i-1.
func (c counter) prefix(i int) int {
	n := 0
	for ; i > 0; i -= i & -i {
		n += c[i]
	}
	return n
}

// between counts the indexes strictly between a and b.
func (c counter) between(a, b int) int { return c.prefix(b) - c.prefix(a+1) }

// mark settles a step; an expected one may free the party's waiting legs.
func (r *Replayer) mark(s *step, st stepState) {
	if s.state != pending {
		return
	}
	s.state = st
	w := s.leg.w
	w.handledAt[s.idx] = time.Now()
	if !s.send {
		w.open.add(s.idx, -1)
		r.resolvedSince = w == r.window || r.resolvedSince
	}
}

func (r *Replayer) finish(lg *leg) {
	lg.live.finished = true
	lg.w.active--
}

// fail stops a leg at its cursor: the rest is given up, so that other
// legs waiting on it go on.
func (r *Replayer) fail(lg *leg, reason string) {
	ls := lg.live
	if ls.finished {
		return
	}
	ls.failed, ls.failedAt = reason, -1
	if ls.cursor < len(lg.steps) {
		ls.failedAt = lg.steps[ls.cursor].idx
	}
	r.log.Debug("replay: leg diverged", "call", lg.callID, "party", lg.party.addr, "reason", reason)
	for _, s := range lg.steps[ls.cursor:] {
		r.mark(s, resolved)
	}
	r.finish(lg)
}

// checkTimeouts gives up the legs whose expected message is late: the
// wait runs from when both the leg reached it and the last message sent
// before it in the capture went out.
func (r *Replayer) checkTimeouts(now time.Time) error {
	for _, lg := range r.plan.legs {
		ls := lg.live
		if ls.finished || ls.cursor >= len(lg.steps) || ls.since.IsZero() {
			continue
		}
		s := lg.steps[ls.cursor]
		from := ls.since
		if s.prevSend >= 0 {
			at := r.handledAt[s.prevSend]
			if at.IsZero() {
				continue
			}
			if at.After(from) {
				from = at
			}
		}
		if now.Sub(from) >= r.cfg.Timeout {
			r.fail(lg, fmt.Sprintf("timed out after %s waiting for %s", r.cfg.Timeout, label(s.msg.Msg)))
		}
	}
	if !r.gotAny && r.anyTimedOut() {
		return fmt.Errorf("replay: no answer from %s within %s: %w", r.target, r.cfg.Timeout, ErrUnreachable)
	}
	r.breakStall(now)
	return nil
}

// breakStall: when nothing was sent or received for two timeouts and no
// paced send is due, the legs still running wait on each other (a capture
// whose order no rule untangles): they are given up, so that the run
// ends with a report.
func (r *Replayer) breakStall(now time.Time) {
	if now.Sub(r.progress) < 2*r.cfg.Timeout {
		return
	}
	for _, lg := range r.plan.legs {
		if lg.live.scheduled {
			return
		}
	}
	for _, lg := range r.plan.legs {
		ls := lg.live
		if !ls.finished && ls.cursor < len(lg.steps) {
			r.fail(lg, "stalled at "+label(lg.steps[ls.cursor].msg.Msg))
		}
	}
	r.progress = now
}

func (r *Replayer) anyTimedOut() bool {
	for _, lg := range r.plan.legs {
		if lg.live.failed != "" {
			return true
		}
	}
	return false
}
