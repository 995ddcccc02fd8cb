package steps

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/cucumber/godog"

	"pbxlab/sim/phone"
)

// registerHoldSteps: hold and resume by re-INVITE, and the music on hold
// the held party hears (the PBX's built-in tune unless configured).
func registerHoldSteps(sc *godog.ScenarioContext) {
	sc.When(`^(\d+) puts the call on hold$`, step1(func(ctx context.Context, w *world, name string) error {
		return hold(ctx, w, name, phone.HoldSendOnly)
	}))
	sc.When(`^(\d+) puts the call on hold with (a=sendonly|a=inactive|c=0\.0\.0\.0)$`, step2(func(ctx context.Context, w *world, name, how string) error {
		mode := map[string]phone.HoldMode{"a=sendonly": phone.HoldSendOnly, "a=inactive": phone.HoldInactive, "c=0.0.0.0": phone.HoldZeroAddr}[how]
		return hold(ctx, w, name, mode)
	}))
	sc.When(`^(\d+) resumes the call$`, step1(func(ctx context.Context, w *world, name string) error {
		leg, err := currentLeg(w, name)
		if err != nil {
			return err
		}
		wctx, cancel := w.waitCtx(ctx)
		defer cancel()
		if err := leg.Resume(wctx); err != nil {
			return fmt.Errorf("%w: %s resumes: %w", ErrExpectation, name, err)
		}
		return nil
	}))
	sc.Then(`^(\d+) hears the music on hold$`, step1(func(ctx context.Context, w *world, name string) error {
		return hearsMusic(ctx, w, name, true)
	}))
	sc.Then(`^(\d+) does not hear the music on hold$`, step1(func(ctx context.Context, w *world, name string) error {
		return hearsMusic(ctx, w, name, false)
	}))
}

// musicOnHoldFreqs are the pitches of the PBX's built-in music on hold
// (pbx/internal/media.MusicOnHoldFreqs: G3 A3 B3 C4 D4, pure sines below
// every call-progress tone and every phone identity).
var musicOnHoldFreqs = []float64{196.00, 220.00, 246.94, 261.63, 293.66}

// currentLeg is name's leg of the current call, answered.
func currentLeg(w *world, name string) (*phone.Call, error) {
	rec, err := w.currentCall()
	if err != nil {
		return nil, err
	}
	leg := legOf(rec, name)
	if leg == nil || leg.State() != phone.Answered {
		return nil, fmt.Errorf("%w: %s has no answered leg of %s", ErrUsage, name, rec)
	}
	return leg, nil
}

func hold(ctx context.Context, w *world, name string, mode phone.HoldMode) error {
	leg, err := currentLeg(w, name)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if err := leg.HoldWith(wctx, mode); err != nil {
		return fmt.Errorf("%w: %s puts the call on hold: %w", ErrExpectation, name, err)
	}
	return nil
}

// hearsMusic listens on name's leg for any note of the music on hold: it
// must be heard (want) within the wait, or not at all during the quiet
// window.
func hearsMusic(ctx context.Context, w *world, name string, want bool) error {
	leg, err := currentLeg(w, name)
	if err != nil {
		return err
	}
	return hearsMusicOn(ctx, w, leg, name, want)
}

// hearsMusicOn is hearsMusic on one leg of name's.
func hearsMusicOn(ctx context.Context, w *world, leg *phone.Call, name string, want bool) error {
	d := w.suite.cfg.Wait
	if !want {
		d = quietWindow
	}
	lctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu    sync.Mutex
		heard float64
		errs  []error
		wg    sync.WaitGroup
	)
	for _, f := range musicOnHoldFreqs {
		wg.Go(func() {
			_, err := leg.Listen(lctx, phone.SingleTone(f))
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				heard = f
				cancel() // one note is enough
				return
			}
			errs = append(errs, err)
		})
	}
	wg.Wait()
	switch {
	case want && heard == 0:
		return fmt.Errorf("%w: %s does not hear the music on hold: %w", ErrExpectation, name, errors.Join(errs...))
	case !want && heard != 0:
		return fmt.Errorf("%w: %s hears the music on hold (%g Hz)", ErrExpectation, name, heard)
	case !want:
		for _, err := range errs {
			if !errors.Is(err, phone.ErrNotHeard) {
				return fmt.Errorf("%w: %s: audio check failed for another reason: %w", ErrExpectation, name, err)
			}
		}
	}
	return nil
}
