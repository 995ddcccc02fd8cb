package steps

import (
	"context"
	"fmt"

	"github.com/cucumber/godog"

	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// The hold service (pbx/internal/services/hold): a subscriber's holds
// relayed end to end or taken by the PBX, the hold of one call among
// several (call waiting), and whether a held party was re-INVITEd.
func registerHoldServiceSteps(sc *godog.ScenarioContext) {
	sc.Given(`^(\d+) has its holds taken by the PBX$`, step1(func(_ context.Context, w *world, name string) error {
		return withNumber(w, name, func(c *config.Config, number string) {
			if c.Services.Hold.Subscribers == nil {
				c.Services.Hold.Subscribers = map[string]config.HoldMode{}
			}
			c.Services.Hold.Subscribers[number] = "pbx"
		})
	}))
	sc.Given(`^holds are taken by the PBX by default$`, step0(func(_ context.Context, w *world) error {
		return w.configure(func(c *config.Config) error {
			c.Services.Hold.Default = "pbx"
			return nil
		})
	}))
	sc.When(`^(\d+) puts the call with (\d+) on hold$`, step2(func(ctx context.Context, w *world, name, other string) error {
		leg, err := legWith(w, name, other)
		if err != nil {
			return err
		}
		wctx, cancel := w.waitCtx(ctx)
		defer cancel()
		if err := leg.Hold(wctx); err != nil {
			return fmt.Errorf("%w: %s puts the call with %s on hold: %w", ErrExpectation, name, other, err)
		}
		return nil
	}))
	sc.When(`^(\d+) resumes the call with (\d+)$`, step2(func(ctx context.Context, w *world, name, other string) error {
		leg, err := legWith(w, name, other)
		if err != nil {
			return err
		}
		wctx, cancel := w.waitCtx(ctx)
		defer cancel()
		if err := leg.Resume(wctx); err != nil {
			return fmt.Errorf("%w: %s resumes the call with %s: %w", ErrExpectation, name, other, err)
		}
		return nil
	}))
	sc.Then(`^(\d+) hears the music on hold in the call with (\d+)$`, step2(func(ctx context.Context, w *world, name, other string) error {
		leg, err := legWith(w, name, other)
		if err != nil {
			return err
		}
		return hearsMusicOn(ctx, w, leg, name, true)
	}))
	sc.Then(`^(\d+) was not re-INVITEd in the call with (\d+)$`, step2(func(_ context.Context, w *world, name, other string) error {
		return reinvited(w, name, other, false)
	}))
	sc.Then(`^(\d+) was re-INVITEd in the call with (\d+)$`, step2(func(_ context.Context, w *world, name, other string) error {
		return reinvited(w, name, other, true)
	}))
}

// legWith is name's answered leg of its last call with other.
func legWith(w *world, name, other string) (*phone.Call, error) {
	rec, err := w.callBetween(name, other)
	if err != nil {
		return nil, err
	}
	leg := legOf(rec, name)
	if leg == nil || leg.State() != phone.Answered {
		return nil, fmt.Errorf("%w: %s has no answered leg of %s", ErrUsage, name, rec)
	}
	return leg, nil
}

// reinvited checks whether name's leg of its call with other received a
// re-INVITE. It is asked after the hold or resume step returned, which
// waited for the holder's 200: a relayed hold has re-INVITEd the held
// party by then (the PBX answers the holder with the held party's answer).
func reinvited(w *world, name, other string, want bool) error {
	leg, err := legWith(w, name, other)
	if err != nil {
		return err
	}
	n := leg.ReinvitesReceived()
	switch {
	case want && n == 0:
		return fmt.Errorf("%w: %s was not re-INVITEd in the call with %s", ErrExpectation, name, other)
	case !want && n > 0:
		return fmt.Errorf("%w: %s was re-INVITEd %d times in the call with %s", ErrExpectation, name, n, other)
	}
	return nil
}
