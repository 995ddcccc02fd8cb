package steps

import (
	"context"
	"errors"
	"fmt"

	"github.com/cucumber/godog"

	"pbxlab/sim/phone"
)

// registerAudioSteps: the negative controls of the audio check. A phone
// can be set to send another number's identity (a misrouted call), to loop
// back what it receives (echo), or to use a media port nobody reads (one-way
// audio: its RTP goes out, nothing comes in, even through a PBX that
// latches to where its RTP comes from); the Then steps check that the audio check FAILS on the
// leg concerned, and that it fails for that reason, not for silence.
func registerAudioSteps(sc *godog.ScenarioContext) {
	sc.Given(`^phone (\d+) sends the audio identity of (\d+)$`, step2(sendsIdentityOf))
	sc.Given(`^phone (\d+) echoes the audio it receives$`, step1(func(_ context.Context, w *world, name string) error {
		return eachDevice(w, name, func(p *phone.Phone) { p.SetEcho(true) })
	}))
	sc.Given(`^phone (\d+) advertises a media port where nothing listens$`, step1(func(_ context.Context, w *world, name string) error {
		return eachDevice(w, name, func(p *phone.Phone) { p.SetDeadMediaPort(true) })
	}))
	sc.Then(`^(\d+) hears (\d+) instead of (\d+)$`, step3(hearsInsteadOf))
	sc.Then(`^(\d+) hears its own audio instead of (\d+)$`, step2(hearsOwnAudioInsteadOf))
	sc.Then(`^(\d+) hears nothing from (\d+)$`, step2(hearsNothingFrom))
}

// eachDevice applies set to every simulated device of name.
func eachDevice(w *world, name string, set func(*phone.Phone)) error {
	ds := w.devicesOf(name)
	if len(ds) == 0 {
		return fmt.Errorf("%w: no phone %s (register it first)", ErrUsage, name)
	}
	for _, sp := range ds {
		set(sp.p)
	}
	return nil
}

// identityOf is the audio identity of a scenario number's real number.
func (w *world) identityOf(name string) (phone.Identity, error) {
	sub, err := w.subscriber(name)
	if err != nil {
		return phone.Identity{}, err
	}
	return phone.IdentityFor(sub.Number), nil
}

func sendsIdentityOf(_ context.Context, w *world, name, other string) error {
	id, err := w.identityOf(other)
	if err != nil {
		return err
	}
	own, err := w.identityOf(name)
	if err != nil {
		return err
	}
	if id == own {
		return fmt.Errorf("%w: %s and %s have the same identity %s: no negative control", ErrUsage, name, other, id)
	}
	return eachDevice(w, name, func(p *phone.Phone) { p.SetIdentity(id) })
}

// notHeard runs a's audio check for b on the call between them for
// quietWindow (real time: media is real time) and wants it to fail with
// ErrNotHeard. It returns a's leg and what the check saw.
func notHeard(ctx context.Context, w *world, a, b string) (*phone.Call, phone.AudioResult, error) {
	rec, err := w.callBetween(a, b)
	if err != nil {
		return nil, phone.AudioResult{}, err
	}
	leg := legOf(rec, a)
	if leg == nil {
		return nil, phone.AudioResult{}, fmt.Errorf("%w: %s has no leg of %s", ErrUsage, a, rec)
	}
	qctx, cancel := context.WithTimeout(ctx, quietWindow)
	defer cancel()
	res, err := leg.TwoWayAudio(qctx)
	switch {
	case err == nil:
		return leg, res, fmt.Errorf("%w: the audio check of %s passed for %s (%s): the negative control did not fail it", ErrExpectation, a, b, res.Expected)
	case !errors.Is(err, phone.ErrNotHeard):
		return leg, res, fmt.Errorf("%w: %s: audio check failed for another reason: %w", ErrExpectation, a, err)
	}
	return leg, res, nil
}

// hearsInsteadOf: a's check for b fails, and what a hears is c's identity
// (a misrouted call sounds like this).
func hearsInsteadOf(ctx context.Context, w *world, a, c, b string) error {
	leg, res, err := notHeard(ctx, w, a, b)
	if err != nil {
		return err
	}
	id, err := w.identityOf(c)
	if err != nil {
		return err
	}
	if id == res.Expected {
		return fmt.Errorf("%w: %s and %s have the same identity %s", ErrUsage, b, c, id)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if _, err := leg.Listen(wctx, id); err != nil {
		return fmt.Errorf("%w: %s does not hear %s either (%s): %w", ErrExpectation, a, c, id, err)
	}
	return nil
}

// hearsOwnAudioInsteadOf: a's check for b fails, and what a hears is its
// own identity coming back.
func hearsOwnAudioInsteadOf(ctx context.Context, w *world, a, b string) error {
	leg, res, err := notHeard(ctx, w, a, b)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if _, err := leg.Listen(wctx, res.Own); err != nil {
		return fmt.Errorf("%w: %s does not hear its own audio (%s) either: %w", ErrExpectation, a, res.Own, err)
	}
	return nil
}

// hearsNothingFrom: a's check for b fails because no RTP at all reaches a.
func hearsNothingFrom(ctx context.Context, w *world, a, b string) error {
	_, res, err := notHeard(ctx, w, a, b)
	if err != nil {
		return err
	}
	if res.Stats.PacketsIn != 0 {
		return fmt.Errorf("%w: %s received %d RTP packets (%s), want none", ErrExpectation, a, res.Stats.PacketsIn, res.Detail.Reason)
	}
	return nil
}
