package steps

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/cucumber/godog"

	"pbxlab/pbx"
)

// registerBadInputSteps: what a phone may send wrong — a code no service
// knows, a malformed one, a REFER whose Refer-To names nowhere, a
// Replaces naming no dialog — and the check that nothing is left half-up:
// no call in progress on the PBX, every call's record written.
func registerBadInputSteps(sc *godog.ScenarioContext) {
	// the code quoted or not: "*57*#" or *55*0630#
	sc.When(`^(\d+) dials the code "?([0-9A-Za-z*#%]+?)"?$`, step2(func(ctx context.Context, w *world, caller, code string) error {
		_, err := dial(ctx, w, caller, "", code)
		return err
	}))
	sc.When(`^(\d+) sends a REFER (?:with Refer-To "([^"]*)"|without Refer-To)$`, step2(referRaw))
	sc.Then(`^the REFER is refused with (\d+)$`, step1(referRefused))
	sc.When(`^(\d+) transfers the call to (\d+) replacing a dialog that does not exist$`, step2(transferReplacingNothing))
	sc.When(`^(\d+) calls (\d+) replacing a dialog that does not exist$`, step2(callReplacingNothing))
	sc.Then(`^(\d+) was never rung$`, step1(neverRung))
	sc.Then(`^no call is left up and the PBX wrote (\d+) finished call records?$`, step1(nothingLeftUp))
}

// nowhere names a dialog no PBX has (RFC 3891 §6.1 syntax).
const nowhere = "no-such-call@pbxlab.invalid;to-tag=nothing;from-tag=nobody"

// referRaw: name sends, in its current call, a REFER with the Refer-To
// value referTo ("" for none); the REFER's answer is kept for
// "the REFER is refused with".
func referRaw(ctx context.Context, w *world, name, referTo string) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	leg := legOf(rec, name)
	if leg == nil {
		return fmt.Errorf("%w: %s has no leg of %s", ErrUsage, name, rec)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	code, err := leg.ReferRaw(wctx, referTo)
	w.mu.Lock()
	w.xfer = &transferScenario{by: name, got: &transferResult{code: code, err: err}}
	w.mu.Unlock()
	return nil
}

// referRefused: the REFER itself got the final status code (no 202, no
// transfer).
func referRefused(_ context.Context, w *world, code int) error {
	w.mu.Lock()
	x := w.xfer
	w.mu.Unlock()
	if x == nil || x.got == nil {
		return fmt.Errorf("%w: no REFER was sent", ErrUsage)
	}
	if x.got.code != code || x.got.err == nil {
		return fmt.Errorf("%w: the REFER of %s got %d (%v), want it refused with %d", ErrExpectation, x.by, x.got.code, x.got.err, code)
	}
	return nil
}

// transferReplacingNothing: name REFERs the other party of its call to
// target with a Replaces naming no dialog (an attended transfer to a call
// that does not exist).
func transferReplacingNothing(ctx context.Context, w *world, name, target string) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	mine := legOf(rec, name)
	if mine == nil {
		return fmt.Errorf("%w: %s has no leg of %s", ErrUsage, name, rec)
	}
	sub, err := w.subscriber(target)
	if err != nil {
		return err
	}
	referTo := "<sip:" + sub.Number + "@pbxlab.invalid?Replaces=" + url.QueryEscape(nowhere) + ">"
	// no call comes of it: the transfer's outcome is all there is to check
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), transferWait)
	x := &transferScenario{by: name, undo: func() {}, result: make(chan transferResult, 1), stop: cancel}
	w.mu.Lock()
	w.xfer = x
	w.mu.Unlock()
	go func() {
		defer cancel()
		code, err := mine.ReferRaw(tctx, referTo)
		x.result <- transferResult{code, err}
	}()
	return nil
}

// callReplacingNothing: caller calls callee's number with an INVITE whose
// Replaces names no dialog.
func callReplacingNothing(ctx context.Context, w *world, caller, callee string) error {
	sp, err := w.simPhoneOf(caller, "")
	if err != nil {
		return err
	}
	sub, err := w.subscriber(callee)
	if err != nil {
		return err
	}
	rec := &callRec{caller: caller, callee: callee, base: map[phoneKey]int{}}
	for _, d := range w.devicesOf(callee) {
		rec.base[d.key] = d.incomingCount()
	}
	dctx, cancel := w.waitCtx(ctx)
	defer cancel()
	c, err := sp.p.DialReplacing(dctx, sub.Number, nowhere)
	if err != nil {
		return fmt.Errorf("%w: %s calls %s replacing nothing: %w", ErrExpectation, caller, callee, err)
	}
	rec.out = c
	w.addCall(rec)
	return nil
}

// callCounter is a session that tells how many calls its PBX has in
// progress (the in-process PBX).
type callCounter interface {
	activeCalls() (int, error)
}

func (s *inProcessSession) activeCalls() (int, error) {
	s.mu.Lock()
	inst := s.inst
	s.mu.Unlock()
	if inst == nil {
		return 0, fmt.Errorf("%w: the PBX is not running", ErrUsage)
	}
	return inst.ActiveCalls(), nil
}

// nothingLeftUp waits until the PBX has no call in progress and exactly n
// call records, none of them still in progress: every leg ended, every
// record written.
func nothingLeftUp(ctx context.Context, w *world, n int) error {
	cs, ok := w.sess.(cdrSession)
	cc, ok2 := w.sess.(callCounter)
	if !ok || !ok2 {
		return fmt.Errorf("%w: the target does not show its calls and CDRs (tag the scenario @in-process @pbx-files)", ErrUsage)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last []pbx.CDR
	active := -1
	for {
		rs, err := cs.cdrs(wctx)
		a, err2 := cc.activeCalls()
		if err == nil && err2 == nil {
			last, active = rs, a
			open := 0
			for _, r := range rs {
				if r.Disposition == pbx.InProgress || r.End.IsZero() {
					open++
				}
			}
			if a == 0 && open == 0 && len(rs) == n {
				return nil
			}
		}
		select {
		case <-tick.C:
		case <-wctx.Done():
			return fmt.Errorf("%w: want no call up and %d finished records, have %d calls up and records %s(%v)", ErrExpectation, n, active, brief(last), wctx.Err())
		}
	}
}

// neverRung: no call ever reached name's phones in this scenario (for
// after an outcome that is final, e.g. a transfer refused before any
// call to its target).
func neverRung(_ context.Context, w *world, name string) error {
	ds := w.devicesOf(name)
	if len(ds) == 0 {
		return fmt.Errorf("%w: no phone %s (register it first)", ErrUsage, name)
	}
	for _, d := range ds {
		if calls, _ := d.incomingSince(0); len(calls) > 0 {
			return fmt.Errorf("%w: %s was rung (from %s)", ErrExpectation, name, calls[0].Remote())
		}
	}
	return nil
}
