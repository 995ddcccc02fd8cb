package steps

import (
	"context"
	"fmt"
	"time"

	"github.com/cucumber/godog"

	"pbxlab/pbx/config"
)

// The hotline and the secretary services (pbx/internal/services/hotline,
// secretary): lines and bosses configured per scenario or set from the
// phone with the project-default codes; a SIP phone's off hook is its
// hotline setting dialling the off-hook number (default "hotline"); the
// digits of a delayed hotline are RFC 4733 events in the early media of
// that call.
func registerHotlineSteps(sc *godog.ScenarioContext) {
	sc.Given(`^(\d+) has an immediate hotline to (\d+)$`, step2(func(_ context.Context, w *world, name, target string) error {
		return configureHotline(w, name, func(*world) (string, error) { return numberOf(w, target) }, 0)
	}))
	sc.Given(`^(\d+) has an immediate hotline to a number that is not assigned$`, step1(func(_ context.Context, w *world, name string) error {
		return configureHotline(w, name, func(w *world) (string, error) { return w.sess.Unassigned(), nil }, 0)
	}))
	sc.Given(`^(\d+) has an immediate hotline to the emergency number (\d+)$`, step2(func(_ context.Context, w *world, name, number string) error {
		return configureHotline(w, name, func(*world) (string, error) { return number, nil }, 0)
	}))
	sc.Given(`^(\d+) has a delayed hotline to (\d+) after (\d+) seconds?$`, step3(func(_ context.Context, w *world, name, target string, secs int) error {
		return configureHotline(w, name, func(*world) (string, error) { return numberOf(w, target) }, secs)
	}))
	sc.Given(`^(\d+) has a delayed hotline to a number that is not assigned after (\d+) seconds?$`, step2(func(_ context.Context, w *world, name string, secs int) error {
		return configureHotline(w, name, func(w *world) (string, error) { return w.sess.Unassigned(), nil }, secs)
	}))
	sc.Given(`^the hotline's inter-digit time is (\d+) seconds?$`, step1(func(_ context.Context, w *world, secs int) error {
		return w.configure(func(c *config.Config) error {
			c.Services.Hotline.InterDigit = time.Duration(secs) * time.Second
			return nil
		})
	}))
	sc.When(`^(\d+) goes off hook$`, step1(func(ctx context.Context, w *world, name string) error {
		_, err := dial(ctx, w, name, "", offHookNumber)
		return err
	}))
	sc.When(`^(\d+) goes off hook, which calls (\d+)$`, step2(func(ctx context.Context, w *world, name, target string) error {
		_, err := dialRetargeted(ctx, w, name, "", offHookNumber, target)
		return err
	}))
	sc.When(`^(\d+) dials (\d+) on the dial tone, (ending with #|then pausing)$`, step3(dialOnDialTone))
	sc.When(`^(\d+) sets an immediate hotline to (\d+)$`, step2(func(ctx context.Context, w *world, name, target string) error {
		return dialCodeFor(ctx, name, "*52*", target, "#")
	}))
	sc.Then(`^no call reached (\d+)$`, step1(noCallReached))
	sc.When(`^(\d+) sets a delayed hotline to (\d+) after (\d+) seconds?$`, step3(func(ctx context.Context, w *world, name, target string, secs int) error {
		return dialCodeFor(ctx, name, "*52*", target, fmt.Sprintf("*%d#", secs))
	}))
	sc.When(`^(\d+) cancels the hotline$`, step1(func(ctx context.Context, w *world, name string) error {
		_, err := dial(ctx, w, name, "", "#52%23")
		return err
	}))
	sc.When(`^(\d+) dials the hotline code "([^"]+)"$`, step2(func(ctx context.Context, w *world, name, code string) error {
		_, err := dial(ctx, w, name, "", code)
		return err
	}))

	sc.Given(`^(\d+) is a boss whose secretary is (\d+)$`, step2(func(_ context.Context, w *world, boss, sec string) error {
		s, err := w.subscriber(sec)
		if err != nil {
			return err
		}
		return editBoss(w, boss, func(b *config.SecretaryBoss) { b.Secretary = s.Number })
	}))
	sc.Given(`^(\d+) may call boss (\d+) directly$`, step2(func(_ context.Context, w *world, caller, boss string) error {
		s, err := w.subscriber(caller)
		if err != nil {
			return err
		}
		return editBoss(w, boss, func(b *config.SecretaryBoss) { b.Allowed = append(b.Allowed, s.Number) })
	}))
	sc.Given(`^boss (\d+) has filtering off by configuration$`, step1(func(_ context.Context, w *world, boss string) error {
		return editBoss(w, boss, func(b *config.SecretaryBoss) { b.Filter = "off" })
	}))
	sc.When(`^(\d+) turns secretary filtering (on|off)$`, step2(func(ctx context.Context, w *world, name, onOff string) error {
		code := "*53#"
		if onOff == "off" {
			code = "%2353%23"
		}
		_, err := dial(ctx, w, name, "", code)
		return err
	}))
	sc.When(`^(\d+) dials the secretary code "([^"]+)"$`, step2(func(ctx context.Context, w *world, name, code string) error {
		_, err := dial(ctx, w, name, "", code)
		return err
	}))
}

// offHookNumber is what a phone's hotline setting dials (the default of
// services.hotline.offhook_number).
const offHookNumber = "hotline"

// numberOf is the number of a scenario's subscriber name.
func numberOf(w *world, name string) (string, error) {
	s, err := w.subscriber(name)
	if err != nil {
		return "", err
	}
	return s.Number, nil
}

// configureHotline gives name a hotline to the number target gives:
// immediate for secs 0, else delayed by secs.
func configureHotline(w *world, name string, target func(*world) (string, error), secs int) error {
	if secs < 0 || secs > 60 {
		return fmt.Errorf("%w: a delay of %d seconds", ErrUsage, secs)
	}
	to, err := target(w)
	if err != nil {
		return err
	}
	return withNumber(w, name, func(c *config.Config, number string) {
		h := &c.Services.Hotline
		if h.Subscribers == nil {
			h.Subscribers = map[string]config.HotlineLine{}
		}
		l := config.HotlineLine{Number: to, Mode: "immediate"}
		if secs > 0 {
			l.Mode, l.Delay = "delayed", time.Duration(secs)*time.Second
		}
		h.Subscribers[number] = l
	})
}

// editBoss edits the secretary configuration of boss.
func editBoss(w *world, boss string, edit func(b *config.SecretaryBoss)) error {
	return withNumber(w, boss, func(c *config.Config, number string) {
		s := &c.Services.Secretary
		if s.Bosses == nil {
			s.Bosses = map[string]config.SecretaryBoss{}
		}
		b := s.Bosses[number]
		edit(&b)
		s.Bosses[number] = b
	})
}

// dialRetargeted dials as dial does a call the PBX takes to target (a
// forward, an immediate hotline). target's calls so far are counted before
// the dial: the PBX's leg can reach target before Dial returns, and counted
// after, it would be taken for an earlier call (retarget counts only the
// devices it finds uncounted).
func dialRetargeted(ctx context.Context, w *world, caller, callee, number, target string) (*callRec, error) {
	before := map[phoneKey]int{}
	for _, d := range w.devicesOf(target) {
		before[d.key] = d.incomingCount()
	}
	rec, err := dial(ctx, w, caller, callee, number)
	if err != nil {
		return nil, err
	}
	for k, n := range before {
		if _, ok := rec.base[k]; !ok {
			rec.base[k] = n
		}
	}
	return rec, retarget(w, rec, target)
}

// retarget makes target the callee of the call rec (a hotline's number, a
// forwarded call): its rings and the identity the caller hears.
func retarget(w *world, rec *callRec, target string) error {
	id, err := w.identityOf(target)
	if err != nil {
		return err
	}
	rec.out.ExpectIdentity(id)
	w.mu.Lock()
	rec.callee = target
	w.mu.Unlock()
	for _, d := range w.devicesOf(target) {
		if _, ok := rec.base[d.key]; !ok {
			rec.base[d.key] = d.incomingCount()
		}
	}
	return nil
}

// dialOnDialTone: the caller's off-hook call is in early media (the dial
// tone); it sends target's number as RFC 4733 digits there, "#" ending
// them, or nothing (the inter-digit time ends them); the call is target's
// from now on.
func dialOnDialTone(ctx context.Context, w *world, name, target, how string) error {
	if err := receivesEarlyMedia(ctx, w, name); err != nil {
		return err
	}
	rec, err := w.placedBy(name)
	if err != nil {
		return err
	}
	number, err := numberOf(w, target)
	if err != nil {
		return err
	}
	if how == "ending with #" {
		number += "#"
	}
	if err := retarget(w, rec, target); err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if err := rec.out.SendDTMF(wctx, number); err != nil {
		return fmt.Errorf("%w: %s dials %s on the dial tone: %w", ErrExpectation, name, number, err)
	}
	return nil
}

// noCallReached: name's phones took no call in this scenario (a hotline
// number the call never went to, a boss whose call was filtered).
func noCallReached(_ context.Context, w *world, name string) error {
	ds := w.devicesOf(name)
	if len(ds) == 0 {
		return fmt.Errorf("%w: %s has no simulated phone", ErrUsage, name)
	}
	for _, d := range ds {
		if n := d.incomingCount(); n > 0 {
			return fmt.Errorf("%w: %s took %d call(s)", ErrExpectation, name, n)
		}
	}
	return nil
}
