package steps

import (
	"context"
	"fmt"
	"sync"

	"github.com/cucumber/godog"

	"pbxlab/sim/phone"
)

// Call back on busy (services.callback): "X asks to be called back by Y"
// dials *37# (the number X last found busy); from then on the next call
// ringing X is expected to be the PBX's callback showing Y, and the next
// one ringing Y the PBX's call to Y showing X. "the PBX calls X back and
// connects it to Y" answers both and makes X–Y the current call.
func registerCallbackSteps(sc *godog.ScenarioContext) {
	sc.Before(func(ctx context.Context, _ *godog.Scenario) (context.Context, error) {
		return context.WithValue(ctx, callbackKey{}, &callbackState{}), nil
	})
	sc.When(`^(\d+) asks to be called back by (\d+)$`, cbStep2(func(ctx context.Context, w *world, st *callbackState, name, busy string) error {
		st.expect(w, name, busy)
		_, err := dial(ctx, w, name, "", "*37#")
		return err
	}))
	sc.When(`^(\d+) asks to be called back$`, step1(func(ctx context.Context, w *world, name string) error {
		_, err := dial(ctx, w, name, "", "*37#")
		return err
	}))
	sc.When(`^(\d+) cancels its callback request$`, step1(func(ctx context.Context, w *world, name string) error {
		_, err := dial(ctx, w, name, "", "#37#")
		return err
	}))
	sc.When(`^the call between (\d+) and (\d+) ends$`, step2(endCallBetween))
	sc.Then(`^the PBX calls (\d+) back and connects it to (\d+)$`, cbStep2(calledBack))
	sc.Then(`^(\d+) is not called back$`, cbStep1(notCalledBack))
}

type callbackKey struct{}

// callbackState is the callback side of a scenario (in its context).
type callbackState struct {
	mu sync.Mutex
	// back rings the requester, on rings the busy number (callers as the
	// PBX presents them)
	back, on map[string]*callRec
}

// expect records each phone's incoming calls at the request: the next
// call to the requester is the callback, the next to busy the PBX's call.
func (st *callbackState) expect(w *world, requester, busy string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.back == nil {
		st.back, st.on = map[string]*callRec{}, map[string]*callRec{}
	}
	back := &callRec{caller: busy, callee: requester, base: map[phoneKey]int{}}
	for _, d := range w.devicesOf(requester) {
		back.base[d.key] = d.incomingCount()
	}
	on := &callRec{caller: requester, callee: busy, base: map[phoneKey]int{}}
	for _, d := range w.devicesOf(busy) {
		on.base[d.key] = d.incomingCount()
	}
	st.back[requester], st.on[requester] = back, on
}

func (st *callbackState) recs(requester string) (*callRec, *callRec, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	back, ok := st.back[requester]
	if !ok {
		return nil, nil, fmt.Errorf("%w: %s asked for no callback", ErrUsage, requester)
	}
	return back, st.on[requester], nil
}

func cbWorld(ctx context.Context) (*world, *callbackState, error) {
	w, err := stepWorld(ctx)
	if err != nil {
		return nil, nil, err
	}
	st, _ := ctx.Value(callbackKey{}).(*callbackState)
	if st == nil {
		return nil, nil, fmt.Errorf("%w: no callback state (before hook missing)", ErrUsage)
	}
	return w, st, nil
}

func cbStep1[A any](f func(context.Context, *world, *callbackState, A) error) func(context.Context, A) error {
	return func(ctx context.Context, a A) error {
		w, st, err := cbWorld(ctx)
		if err != nil {
			return err
		}
		return f(ctx, w, st, a)
	}
}

func cbStep2[A, B any](f func(context.Context, *world, *callbackState, A, B) error) func(context.Context, A, B) error {
	return func(ctx context.Context, a A, b B) error {
		w, st, err := cbWorld(ctx)
		if err != nil {
			return err
		}
		return f(ctx, w, st, a, b)
	}
}

// endCallBetween: a hangs up its call with b; both legs end.
func endCallBetween(ctx context.Context, w *world, a, b string) error {
	rec, la, lb, err := w.answeredLegs(a, b)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	rec.hungUpBy = a
	if err := la.Hangup(wctx); err != nil {
		return fmt.Errorf("%w: %s hangs up: %w", ErrExpectation, a, err)
	}
	if end, err := lb.Wait(wctx); err != nil || end.Reason != phone.ReasonBye {
		return fmt.Errorf("%w: %s's leg of %s ended %+v (%v), want BYE", ErrExpectation, b, rec, end, err)
	}
	return nil
}

// nextLeg waits for the first call rec's callee got since rec.base.
func nextLeg(ctx context.Context, w *world, rec *callRec) (*phone.Call, error) {
	for {
		calls, changed := w.legs(rec, "")
		if len(calls) > 0 {
			return calls[0], nil
		}
		if err := waitAny(ctx, changed...); err != nil {
			return nil, fmt.Errorf("%w: nothing rang %s: %w", ErrExpectation, rec.callee, err)
		}
	}
}

// calledBack: the requester rings showing the busy number and answers;
// then the busy number rings showing the requester and answers; the two
// hear each other and their call is the current one.
func calledBack(ctx context.Context, w *world, st *callbackState, requester, busy string) error {
	back, on, err := st.recs(requester)
	if err != nil {
		return err
	}
	subA, err := w.subscriber(requester)
	if err != nil {
		return err
	}
	subB, err := w.subscriber(busy)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	a, err := nextLeg(wctx, w, back)
	if err != nil {
		return err
	}
	if a.Remote() != subB.Number {
		return fmt.Errorf("%w: the callback to %s shows %q, want %s", ErrExpectation, requester, a.Remote(), subB.Number)
	}
	if err := a.Answer(wctx); err != nil {
		return fmt.Errorf("%w: %s answers the callback: %w", ErrExpectation, requester, err)
	}
	b, err := nextLeg(wctx, w, on)
	if err != nil {
		return err
	}
	if b.Remote() != subA.Number {
		return fmt.Errorf("%w: %s sees %q calling, want %s", ErrExpectation, busy, b.Remote(), subA.Number)
	}
	if err := b.Answer(wctx); err != nil {
		return fmt.Errorf("%w: %s answers: %w", ErrExpectation, busy, err)
	}
	idA, err := w.identityOf(requester)
	if err != nil {
		return err
	}
	idB, err := w.identityOf(busy)
	if err != nil {
		return err
	}
	a.ExpectIdentity(idB)
	b.ExpectIdentity(idA)
	w.addCall(&callRec{caller: requester, callee: busy, out: a, answered: b, base: map[phoneKey]int{}})
	return hearEachOther(ctx, w, requester, busy)
}

// notCalledBack: nothing rings the requester during the quiet window.
func notCalledBack(ctx context.Context, w *world, st *callbackState, requester string) error {
	back, _, err := st.recs(requester)
	if err != nil {
		return err
	}
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	window := w.suite.cfg.Clock.After(quietWindow)
	go func() {
		select {
		case <-window:
			cancel()
		case <-qctx.Done():
		}
	}()
	leg, err := nextLeg(qctx, w, back)
	if err == nil {
		return fmt.Errorf("%w: %s was called back (from %s)", ErrExpectation, requester, leg.Remote())
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}
