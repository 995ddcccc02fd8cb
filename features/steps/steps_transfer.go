package steps

import (
	"context"
	"fmt"
	"time"

	"github.com/cucumber/godog"

	"pbxlab/sim/phone"
)

// transferScenario is the transfer a scenario's phone asked for: the REFER
// runs in the background (it lasts until the PBX's final NOTIFY) and a
// later step checks its outcome.
type transferScenario struct {
	by     string   // the transferor's scenario number
	rec    *callRec // the call the transferee and the target make
	result chan transferResult
	got    *transferResult
	// undo restores what the transferee's leg expects to hear when the
	// transfer fails (it stays with the transferor)
	undo func()
	// stop ends the wait for the final NOTIFY (a transferor that hung up
	// is told nothing more)
	stop context.CancelFunc
}

type transferResult struct {
	code int
	err  error
}

// transferWait bounds a transfer in the background (the target rings
// until a later step answers it).
const transferWait = time.Minute

// registerTransferSteps: blind and attended transfer by REFER (RFC 3515,
// RFC 5589), the outcome the transferor is told (NOTIFY sipfrag), and who
// is left talking.
func registerTransferSteps(sc *godog.ScenarioContext) {
	sc.When(`^(\d+) transfers the call to (\d+)$`, step2(func(ctx context.Context, w *world, name, target string) error {
		sub, err := w.subscriber(target)
		if err != nil {
			return err
		}
		return blindTransfer(ctx, w, name, target, sub.Number)
	}))
	sc.When(`^(\d+) transfers the call to a number that is not assigned$`, step1(func(ctx context.Context, w *world, name string) error {
		n := w.sess.Unassigned()
		return blindTransfer(ctx, w, name, n, n)
	}))
	sc.When(`^(\d+) transfers (\d+) to (\d+)$`, step3(attendedTransfer))
	sc.Then(`^the transfer succeeds$`, func(ctx context.Context) error {
		return transferOutcome(ctx, worldFrom(ctx), 200)
	})
	sc.Then(`^the transfer fails with (\d+)$`, step1(func(ctx context.Context, w *world, code int) error {
		return transferOutcome(ctx, w, code)
	}))
	sc.Then(`^(\d+) is disconnected by the PBX$`, step1(disconnectedByPBX))
}

// blindTransfer: name transfers the other party of the current call to
// target (its number dialled). The transferee's call with the target becomes the current call.
func blindTransfer(ctx context.Context, w *world, name, target, number string) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	mine, other := legOf(rec, name), rec.callee
	if name == rec.callee {
		other = rec.caller
	} else if name != rec.caller {
		return fmt.Errorf("%w: %s is not in %s", ErrUsage, name, rec)
	}
	theirs := legOf(rec, other)
	if mine == nil || theirs == nil {
		return fmt.Errorf("%w: %s is not answered", ErrUsage, rec)
	}
	next := &callRec{caller: other, callee: target, out: theirs, base: map[phoneKey]int{}}
	for _, d := range w.devicesOf(target) {
		next.base[d.key] = d.incomingCount()
	}
	me, err := w.subscriber(name)
	if err != nil {
		return err
	}
	theirs.ExpectIdentity(phone.IdentityFor(number))
	undo := func() { theirs.ExpectIdentity(phone.IdentityFor(me.Number)) }
	return startTransfer(ctx, w, name, next, undo, func(ctx context.Context) (int, error) { return mine.Transfer(ctx, number) })
}

// attendedTransfer: name, talking to a and (the current call) to b,
// transfers a to b: REFER in its call with a, Replaces naming its call
// with b. The call a and b make becomes the current call.
func attendedTransfer(ctx context.Context, w *world, name, a, b string) error {
	recA, err := w.callBetween(name, a)
	if err != nil {
		return err
	}
	recB, err := w.callBetween(name, b)
	if err != nil {
		return err
	}
	mineA, mineB, legA, legB := legOf(recA, name), legOf(recB, name), legOf(recA, a), legOf(recB, b)
	if mineA == nil || mineB == nil || legA == nil || legB == nil {
		return fmt.Errorf("%w: %s or %s is not answered", ErrUsage, recA, recB)
	}
	subA, err := w.subscriber(a)
	if err != nil {
		return err
	}
	subB, err := w.subscriber(b)
	if err != nil {
		return err
	}
	me, err := w.subscriber(name)
	if err != nil {
		return err
	}
	legA.ExpectIdentity(phone.IdentityFor(subB.Number))
	legB.ExpectIdentity(phone.IdentityFor(subA.Number))
	undo := func() {
		legA.ExpectIdentity(phone.IdentityFor(me.Number))
		legB.ExpectIdentity(phone.IdentityFor(me.Number))
	}
	next := &callRec{caller: a, callee: b, out: legA, answered: legB, base: map[phoneKey]int{}}
	return startTransfer(ctx, w, name, next, undo, func(ctx context.Context) (int, error) { return mineA.TransferTo(ctx, mineB) })
}

func startTransfer(ctx context.Context, w *world, name string, next *callRec, undo func(), run func(context.Context) (int, error)) error {
	w.mu.Lock()
	busy := w.xfer != nil && w.xfer.got == nil
	w.mu.Unlock()
	if busy {
		return fmt.Errorf("%w: a transfer is already in progress", ErrUsage)
	}
	// the REFER outlives this step: it ends with the PBX's final NOTIFY
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), transferWait)
	x := &transferScenario{by: name, rec: next, undo: undo, result: make(chan transferResult, 1), stop: cancel}
	w.mu.Lock()
	w.xfer = x
	w.mu.Unlock()
	w.addCall(next)
	go func() {
		defer cancel()
		code, err := run(tctx)
		x.result <- transferResult{code, err}
	}()
	return nil
}

// transferOutcome waits for the final NOTIFY of the transfer and checks
// its status. A failed transfer leaves no call between the transferee and
// the target: the current call is the transferor's again.
func transferOutcome(ctx context.Context, w *world, want int) error {
	w.mu.Lock()
	x := w.xfer
	w.mu.Unlock()
	if x == nil {
		return fmt.Errorf("%w: no transfer was asked for", ErrUsage)
	}
	if x.got == nil {
		wctx, cancel := w.waitCtx(ctx)
		defer cancel()
		select {
		case r := <-x.result:
			x.got = &r
		case <-wctx.Done():
			return fmt.Errorf("%w: %s got no final NOTIFY for its transfer: %w", ErrExpectation, x.by, wctx.Err())
		}
	}
	if x.got.code != 200 && x.rec != nil {
		x.undo()
		w.mu.Lock()
		x.rec.checked = true
		for i, c := range w.calls {
			if c == x.rec {
				w.calls = append(w.calls[:i], w.calls[i+1:]...)
				break
			}
		}
		x.rec = nil
		w.mu.Unlock()
	}
	if x.got.err != nil || x.got.code != want {
		return fmt.Errorf("%w: transfer by %s ended with %d (error %v), want %d", ErrExpectation, x.by, x.got.code, x.got.err, want)
	}
	return nil
}

// disconnectedByPBX: every call name was in before the transfer ended with
// a BYE from the PBX.
func disconnectedByPBX(ctx context.Context, w *world, name string) error {
	w.mu.Lock()
	var recs []*callRec
	for _, c := range w.calls {
		if (c.caller == name || c.callee == name) && (w.xfer == nil || c != w.xfer.rec) {
			recs = append(recs, c)
		}
	}
	w.mu.Unlock()
	if len(recs) == 0 {
		return fmt.Errorf("%w: %s is in no call", ErrUsage, name)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	for _, rec := range recs {
		rec.checked = true
		leg := legOf(rec, name)
		if leg == nil {
			return fmt.Errorf("%w: %s has no leg of %s", ErrUsage, name, rec)
		}
		end, err := leg.Wait(wctx)
		if err != nil {
			return fmt.Errorf("%w: %s's leg of %s did not end: %w", ErrExpectation, name, rec, err)
		}
		if end.Reason != phone.ReasonBye || end.By != phone.Remote {
			return fmt.Errorf("%w: %s's leg of %s ended by %s with %s, want a BYE from the PBX", ErrExpectation, name, rec, end.By, end.Reason)
		}
	}
	return nil
}
