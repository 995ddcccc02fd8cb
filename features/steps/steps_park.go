package steps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// Call park (services.park): a party of the current call parks the other
// by a blind transfer to *6; the parker hears the slot spoken (each digit
// prompt "digit-N" is made a tone of its own, so "hears that the call is
// parked at slot N" is tone detection), the parked party hears the music
// on hold; *6*<slot># retrieves the call. "X parks the call" makes the
// parked party's leg the current call ("1001 hears the music on hold",
// "the parked 1001 hangs up"); "X talks to Y, retrieved from the park"
// then makes Y–X the current call.
func registerParkSteps(sc *godog.ScenarioContext) {
	sc.Before(func(ctx context.Context, _ *godog.Scenario) (context.Context, error) {
		return context.WithValue(ctx, parkKey{}, &parkState{}), nil
	})
	sc.After(func(ctx context.Context, _ *godog.Scenario, err error) (context.Context, error) {
		if st := parkFrom(ctx); st != nil && st.dir != "" {
			_ = os.RemoveAll(st.dir)
		}
		return ctx, err
	})
	sc.Given(`^the park slots are spoken as tones$`, parkStep0(slotTones))
	sc.Given(`^calls stay parked at most (\d+) seconds?$`, step1(func(_ context.Context, w *world, secs int) error {
		return w.configure(func(c *config.Config) error {
			c.Services.Park.Timeout = time.Duration(secs) * time.Second
			return nil
		})
	}))
	sc.Given(`^only (\d+) may retrieve calls others parked$`, step1(func(_ context.Context, w *world, name string) error {
		return withNumber(w, name, func(c *config.Config, n string) { c.Services.Park.Right = append(c.Services.Park.Right, n) })
	}))
	sc.When(`^(\d+) parks the call$`, parkStep1(parkCall))
	sc.Then(`^the call is parked$`, step0(func(ctx context.Context, w *world) error { return transferOutcome(ctx, w, 200) }))
	sc.Then(`^(\d+) hears that the call is parked at slot (\d)$`, parkStep2(hearsSlot))
	sc.When(`^(\d+) retrieves the call parked at slot (\d+)$`, parkStep2(func(ctx context.Context, w *world, st *parkState, name string, slot int) error {
		_, err := dial(ctx, w, name, "", "*6*"+strconv.Itoa(slot)+"#")
		return err
	}))
	sc.Then(`^(\d+) talks to (\d+), retrieved from the park$`, parkStep2(retrieved))
	sc.When(`^the parked (\d+) hangs up$`, parkStep1(func(ctx context.Context, w *world, st *parkState, name string) error {
		rec, err := st.parked(name)
		if err != nil {
			return err
		}
		wctx, cancel := w.waitCtx(ctx)
		defer cancel()
		rec.hungUpBy = name
		if err := rec.out.Hangup(wctx); err != nil {
			return fmt.Errorf("%w: %s hangs up: %w", ErrExpectation, name, err)
		}
		rec.checked = true
		return nil
	}))
	sc.Then(`^the PBX rings (\d+) back with the parked (\d+)$`, parkStep2(ringsBack))
}

type parkKey struct{}

// parkState is the park side of a scenario (in its context).
type parkState struct {
	mu    sync.Mutex
	dir   string
	tones bool
	heard chan parkHeard // the parker's slot announcement, as listened for
	recs  []*callRec     // the parked calls (parked party -> *6)
	// backs are the ring-backs expected after a timeout, by parked party:
	// the next call to the parker since it parked
	backs map[string]*callRec
}

type parkHeard struct {
	freq float64
	err  error
}

// slotFreqs are the tones of the digit prompts 0-9: multiples of 50 Hz
// that are no phone identity, DTMF, call-progress nor music-on-hold tone
// (as the IVR prompts' tones).
var slotFreqs = [10]float64{1350, 1650, 950, 850, 1200, 3450, 1300, 3400, 3500, 3550}

func parkFrom(ctx context.Context) *parkState {
	st, _ := ctx.Value(parkKey{}).(*parkState)
	return st
}

func parkWorld(ctx context.Context) (*world, *parkState, error) {
	w, err := stepWorld(ctx)
	if err != nil {
		return nil, nil, err
	}
	st := parkFrom(ctx)
	if st == nil {
		return nil, nil, fmt.Errorf("%w: no park state (before hook missing)", ErrUsage)
	}
	return w, st, nil
}

func parkStep0(f func(context.Context, *world, *parkState) error) func(context.Context) error {
	return func(ctx context.Context) error {
		w, st, err := parkWorld(ctx)
		if err != nil {
			return err
		}
		return f(ctx, w, st)
	}
}

func parkStep1[A any](f func(context.Context, *world, *parkState, A) error) func(context.Context, A) error {
	return func(ctx context.Context, a A) error {
		w, st, err := parkWorld(ctx)
		if err != nil {
			return err
		}
		return f(ctx, w, st, a)
	}
}

func parkStep2[A, B any](f func(context.Context, *world, *parkState, A, B) error) func(context.Context, A, B) error {
	return func(ctx context.Context, a A, b B) error {
		w, st, err := parkWorld(ctx)
		if err != nil {
			return err
		}
		return f(ctx, w, st, a, b)
	}
}

// slotTones makes each digit prompt a tone WAV of its own.
func slotTones(_ context.Context, w *world, st *parkState) error {
	dir, err := os.MkdirTemp("", "pbxlab-park-")
	if err != nil {
		return fmt.Errorf("park prompts: %w", err)
	}
	st.mu.Lock()
	st.dir, st.tones = dir, true
	st.mu.Unlock()
	files := map[string]string{}
	for d, f := range slotFreqs {
		name := fmt.Sprintf("digit-%d.wav", d)
		if err := writeToneWAV(filepath.Join(dir, name), f); err != nil {
			return err
		}
		files[fmt.Sprintf("digit-%d", d)] = name
	}
	return w.configure(func(c *config.Config) error {
		c.Media.Files.Dir = dir
		if c.Media.Files.IDs == nil {
			c.Media.Files.IDs = map[string]string{}
		}
		for id, name := range files {
			c.Media.Files.IDs[id] = name
		}
		return nil
	})
}

// parkCall: name blind-transfers the other party of the current call to
// *6; while the REFER runs, name's leg is listened to for any digit tone.
func parkCall(ctx context.Context, w *world, st *parkState, name string) error {
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
	parked := &callRec{caller: other, callee: "*6", out: theirs, base: map[phoneKey]int{}}
	back := &callRec{caller: other, callee: name, base: map[phoneKey]int{}}
	for _, d := range w.devicesOf(name) {
		back.base[d.key] = d.incomingCount()
	}
	st.mu.Lock()
	st.recs = append(st.recs, parked)
	if st.backs == nil {
		st.backs = map[string]*callRec{}
	}
	st.backs[other] = back
	if st.tones {
		st.heard = make(chan parkHeard, 1)
		go listenSlot(context.WithoutCancel(ctx), w, mine, st.heard)
	}
	st.mu.Unlock()
	return startTransfer(ctx, w, name, parked, func() {}, func(ctx context.Context) (int, error) { return mine.Transfer(ctx, "*6") })
}

// listenSlot reports the first digit tone heard on leg within the wait.
func listenSlot(ctx context.Context, w *world, leg *phone.Call, out chan<- parkHeard) {
	lctx, cancel := context.WithTimeout(ctx, w.suite.cfg.Wait)
	defer cancel()
	got := make(chan parkHeard, len(slotFreqs))
	for _, f := range slotFreqs {
		go func() {
			_, err := leg.Listen(lctx, phone.SingleTone(f))
			if err == nil {
				cancel()
			}
			got <- parkHeard{freq: f, err: err}
		}()
	}
	var errs []error
	for range slotFreqs {
		h := <-got
		if h.err == nil {
			out <- h
			return
		}
		errs = append(errs, h.err)
	}
	out <- parkHeard{err: errors.Join(errs...)}
}

// hearsSlot: the parker heard the digit of slot spoken.
func hearsSlot(ctx context.Context, w *world, st *parkState, name string, slot int) error {
	st.mu.Lock()
	ch := st.heard
	st.mu.Unlock()
	if ch == nil {
		return fmt.Errorf("%w: %s parked nothing with the slots spoken as tones", ErrUsage, name)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	select {
	case h := <-ch:
		if h.err != nil {
			return fmt.Errorf("%w: %s hears no slot number: %w", ErrExpectation, name, h.err)
		}
		if h.freq != slotFreqs[slot] {
			return fmt.Errorf("%w: %s hears %g Hz, want slot %d (%g Hz)", ErrExpectation, name, h.freq, slot, slotFreqs[slot])
		}
		return nil
	case <-wctx.Done():
		return fmt.Errorf("%w: %s: no slot announcement: %w", ErrExpectation, name, wctx.Err())
	}
}

// parked is the latest parked call of name.
func (st *parkState) parked(name string) (*callRec, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for i := len(st.recs) - 1; i >= 0; i-- {
		if st.recs[i].caller == name {
			return st.recs[i], nil
		}
	}
	return nil, fmt.Errorf("%w: %s was not parked", ErrUsage, name)
}

// retrieved: name's retrieval call is answered and name and the parked
// party hear each other; their call becomes the current one.
func retrieved(ctx context.Context, w *world, st *parkState, name, parkee string) error {
	rec, err := st.parked(parkee)
	if err != nil {
		return err
	}
	r, err := w.currentCall()
	if err != nil {
		return err
	}
	if r.caller != name {
		return fmt.Errorf("%w: %s retrieved nothing", ErrUsage, name)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if err := r.out.WaitAnswer(wctx); err != nil {
		return fmt.Errorf("%w: %s's retrieval was not answered: %w (code %d)", ErrExpectation, name, err, r.out.Code())
	}
	r.checked, rec.checked = true, true
	for _, x := range []struct {
		leg  *phone.Call
		hear string
	}{{rec.out, name}, {r.out, parkee}} {
		id, err := w.identityOf(x.hear)
		if err != nil {
			return err
		}
		x.leg.ExpectIdentity(id)
	}
	w.addCall(&callRec{caller: parkee, callee: name, out: rec.out, answered: r.out, base: map[phoneKey]int{}})
	return hearEachOther(ctx, w, parkee, name)
}

// ringsBack: after the park timeout the parker rings showing the parked
// party, answers, and the two hear each other; their call is the current
// one.
func ringsBack(ctx context.Context, w *world, st *parkState, parker, parkee string) error {
	rec, err := st.parked(parkee)
	if err != nil {
		return err
	}
	st.mu.Lock()
	back := st.backs[parkee]
	st.mu.Unlock()
	sub, err := w.subscriber(parkee)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	leg, err := nextLeg(wctx, w, back)
	if err != nil {
		return err
	}
	if leg.Remote() != sub.Number {
		return fmt.Errorf("%w: the ring-back to %s shows %q, want %s", ErrExpectation, parker, leg.Remote(), sub.Number)
	}
	if err := leg.Answer(wctx); err != nil {
		return fmt.Errorf("%w: %s answers the ring-back: %w", ErrExpectation, parker, err)
	}
	rec.checked = true
	for _, x := range []struct {
		leg  *phone.Call
		hear string
	}{{leg, parkee}, {rec.out, parker}} {
		id, err := w.identityOf(x.hear)
		if err != nil {
			return err
		}
		x.leg.ExpectIdentity(id)
	}
	w.addCall(&callRec{caller: parker, callee: parkee, out: leg, answered: rec.out, base: map[phoneKey]int{}})
	return hearEachOther(ctx, w, parker, parkee)
}
