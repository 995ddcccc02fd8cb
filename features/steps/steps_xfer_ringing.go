package steps

import (
	"context"
	"fmt"
	"slices"

	"github.com/cucumber/godog"

	"pbxlab/sim/phone"
)

// registerTransferRingingSteps: transfers completed while the target
// still rings (RFC 5589): the transferor hangs up after a blind REFER, or
// REFERs with Replaces naming its own call that still rings.
func registerTransferRingingSteps(sc *godog.ScenarioContext) {
	sc.When(`^(\d+) hangs up before the transfer target answers$`, step1(hangUpBeforeTargetAnswers))
	sc.When(`^(\d+) transfers (\d+) to (\d+) while it rings$`, step3(transferWhileRinging))
	sc.Then(`^(\d+)'s ringing call to (\d+) ends with (\d+)$`, step3(ringingCallEnds))
}

// hangUpBeforeTargetAnswers: name, whose blind transfer is in progress,
// hangs up its call with the transferee; it waits for no NOTIFY any more.
func hangUpBeforeTargetAnswers(ctx context.Context, w *world, name string) error {
	w.mu.Lock()
	x := w.xfer
	w.mu.Unlock()
	if x == nil || x.by != name || x.rec == nil {
		return fmt.Errorf("%w: %s has no transfer in progress", ErrUsage, name)
	}
	orig, err := w.callBetween(name, x.rec.caller)
	if err != nil {
		return err
	}
	leg := legOf(orig, name)
	if leg == nil {
		return fmt.Errorf("%w: %s has no leg of %s", ErrUsage, name, orig)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	orig.hungUpBy, orig.checked = name, true
	if err := leg.Hangup(wctx); err != nil {
		return fmt.Errorf("%w: %s hangs up: %w", ErrExpectation, name, err)
	}
	x.stop()
	w.mu.Lock()
	x.got = &transferResult{code: 0, err: fmt.Errorf("%s hung up before the outcome", name)}
	w.mu.Unlock()
	return nil
}

// transferWhileRinging: name, in a call with a (answered) and calling b
// (b still rings), transfers a to b: REFER in its call with a, Replaces
// naming its early dialog with b. The call a and b make becomes the
// current call.
func transferWhileRinging(ctx context.Context, w *world, name, a, b string) error {
	recA, err := w.callBetween(name, a)
	if err != nil {
		return err
	}
	recB, err := w.callBetween(name, b)
	if err != nil {
		return err
	}
	mineA, legA, mineB := legOf(recA, name), legOf(recA, a), legOf(recB, name)
	if mineA == nil || legA == nil || mineB == nil || recB.caller != name {
		return fmt.Errorf("%w: %s is not answered or %s did not call %s", ErrUsage, recA, name, b)
	}
	if _, remote, _ := mineB.DialogID(); remote == "" {
		return fmt.Errorf("%w: %s has no early dialog with the PBX yet (wait until %s rings)", ErrUsage, recB, b)
	}
	subB, err := w.subscriber(b)
	if err != nil {
		return err
	}
	me, err := w.subscriber(name)
	if err != nil {
		return err
	}
	next := &callRec{caller: a, callee: b, out: legA, base: map[phoneKey]int{}}
	for _, d := range w.devicesOf(b) {
		next.base[d.key] = d.incomingCount()
	}
	legA.ExpectIdentity(phone.IdentityFor(subB.Number))
	undo := func() { legA.ExpectIdentity(phone.IdentityFor(me.Number)) }
	return startTransfer(ctx, w, name, next, undo, func(ctx context.Context) (int, error) { return mineA.TransferTo(ctx, mineB) })
}

// ringingCallEnds: name's call to callee, which rang, ended with code; it
// leaves the scenario's calls (the transferor's part in it is over).
func ringingCallEnds(ctx context.Context, w *world, name, callee string, code int) error {
	w.mu.Lock()
	var rec *callRec
	for i := len(w.calls) - 1; i >= 0; i-- {
		if c := w.calls[i]; c.caller == name && c.callee == callee && c.answered == nil && (w.xfer == nil || c != w.xfer.rec) {
			rec = c
			break
		}
	}
	w.mu.Unlock()
	if rec == nil || rec.out == nil {
		return fmt.Errorf("%w: %s made no ringing call to %s", ErrUsage, name, callee)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if _, err := rec.out.Wait(wctx); err != nil {
		return fmt.Errorf("%w: %s did not end: %w", ErrExpectation, rec, err)
	}
	if got := rec.out.Code(); got != code {
		return fmt.Errorf("%w: %s ended with %d, want %d", ErrExpectation, rec, got, code)
	}
	w.mu.Lock()
	rec.checked = true
	w.calls = slices.DeleteFunc(w.calls, func(c *callRec) bool { return c == rec })
	w.mu.Unlock()
	return nil
}
