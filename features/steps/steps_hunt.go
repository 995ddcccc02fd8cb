package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// Hunt groups (services.hunt): a group number rings its members by a
// strategy; members log in and out with *60*<group># and #60*<group>#.
// A call to a group is placed with no callee; "the hunt group call goes
// to X" makes X the callee of the current call from then on (its rings
// counted from the dial), so the call steps (rings, answers, hear each
// other, hangs up) apply to the member who takes it.
func registerHuntSteps(sc *godog.ScenarioContext) {
	sc.Given(`^hunt group (\d+) rings (\d+(?:, \d+)*) (one after another|in turn|all at once|longest idle first), each for (\d+) seconds?$`,
		func(ctx context.Context, number, members, how string, secs int) error {
			w, err := stepWorld(ctx)
			if err != nil {
				return err
			}
			return huntGroup(w, number, members, how, secs)
		})
	sc.Given(`^hunt group (\d+) overflows to (\d+)$`, step2(func(_ context.Context, w *world, number, name string) error {
		sub, err := w.subscriber(name)
		if err != nil {
			return err
		}
		return w.configure(func(c *config.Config) error {
			for i := range c.Services.Hunt.Groups {
				if c.Services.Hunt.Groups[i].Number == number {
					c.Services.Hunt.Groups[i].Overflow = sub.Number
					return nil
				}
			}
			return fmt.Errorf("%w: no hunt group %s", ErrUsage, number)
		})
	}))
	sc.When(`^(\d+) calls hunt group (\d+)$`, step2(callHuntGroup))
	sc.When(`^(\d+) logs (in to|out of) hunt group (\d+)$`, step3(func(ctx context.Context, w *world, name, dir, number string) error {
		code := "*60*" + number + "#"
		if dir == "out of" {
			code = "%2360*" + number + "%23" // as phones escape it (RFC 3261 §25.1)
		}
		_, err := dial(ctx, w, name, "", code)
		return err
	}))
	sc.Then(`^the hunt group call goes to (\d+)$`, step1(huntGoesTo))
	sc.Then(`^the hunt group rang (\d+)$`, step1(func(ctx context.Context, w *world, name string) error {
		return huntRang(ctx, w, name, true)
	}))
	sc.Then(`^the hunt group did not ring (\d+)$`, step1(func(ctx context.Context, w *world, name string) error {
		return huntRang(ctx, w, name, false)
	}))
	sc.Then(`^(\d+(?:, \d+)*) ring at once$`, step1(ringAtOnce))
	sc.Then(`^the other members stop ringing$`, step0(othersStopRinging))
}

var huntStrategies = map[string]config.HuntStrategy{
	"one after another": "sequential", "in turn": "circular", "all at once": "simultaneous", "longest idle first": "longest_idle",
}

func huntGroup(w *world, number, members, how string, secs int) error {
	g := config.HuntGroup{Name: "group" + number, Number: number, Strategy: huntStrategies[how], RingTime: time.Duration(secs) * time.Second}
	for _, m := range strings.Split(members, ", ") {
		sub, err := w.subscriber(m)
		if err != nil {
			return err
		}
		g.Members = append(g.Members, sub.Number)
	}
	return w.configure(func(c *config.Config) error {
		c.Services.Hunt.Groups = append(c.Services.Hunt.Groups, g)
		return nil
	})
}

// callHuntGroup dials the group; every phone's rings count from before
// the dial, so that whichever member the call goes to can be followed.
func callHuntGroup(ctx context.Context, w *world, caller, number string) error {
	w.mu.Lock()
	base := make(map[phoneKey]int, len(w.phones))
	phones := make([]*simPhone, 0, len(w.phones))
	for _, p := range w.phones {
		phones = append(phones, p)
	}
	w.mu.Unlock()
	for _, p := range phones {
		base[p.key] = p.incomingCount()
	}
	rec, err := dial(ctx, w, caller, "", number)
	if err != nil {
		return err
	}
	w.mu.Lock()
	rec.base = base
	w.mu.Unlock()
	return nil
}

// huntGoesTo makes member the callee of the current call: the caller
// expects to hear it.
func huntGoesTo(_ context.Context, w *world, member string) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	if rec.out == nil {
		return fmt.Errorf("%w: %s was not placed by a phone", ErrUsage, rec)
	}
	id, err := w.identityOf(member)
	if err != nil {
		return err
	}
	rec.out.ExpectIdentity(id)
	w.mu.Lock()
	rec.callee = member
	w.mu.Unlock()
	return nil
}

// huntRang checks whether the current call, once answered, ever rang
// member (no INVITE reaches a member after the answer, so the count is
// final).
func huntRang(ctx context.Context, w *world, member string, want bool) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	rec.checked = true
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if err := rec.out.WaitAnswer(wctx); err != nil {
		return fmt.Errorf("%w: %s was not answered: %w", ErrUsage, rec, err)
	}
	ds := w.devicesOf(member)
	if len(ds) == 0 {
		return fmt.Errorf("%w: %s has no simulated phone", ErrUsage, member)
	}
	n := 0
	for _, d := range ds {
		calls, _ := d.incomingSince(rec.base[d.key])
		n += len(calls)
	}
	if (n > 0) != want {
		return fmt.Errorf("%w: %s was rung %d times by %s, want rung: %v", ErrExpectation, member, n, rec, want)
	}
	return nil
}

// ringAtOnce: every member named gets the current call and rings (before
// anyone answered).
func ringAtOnce(ctx context.Context, w *world, members string) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	for _, m := range strings.Split(members, ", ") {
		ds := w.devicesOf(m)
		if len(ds) == 0 {
			return fmt.Errorf("%w: %s has no simulated phone", ErrUsage, m)
		}
		leg, err := firstLegSince(wctx, ds[0], rec.base[ds[0].key])
		if err != nil {
			return fmt.Errorf("%w: %s never rang: %w", ErrExpectation, m, err)
		}
		if err := leg.WaitRinging(wctx); err != nil {
			return fmt.Errorf("%w: %s does not ring: %w", ErrExpectation, m, err)
		}
	}
	if st := rec.out.State(); st == phone.Answered || st == phone.Ended {
		return fmt.Errorf("%w: %s was %s before every member rang", ErrExpectation, rec, st)
	}
	return nil
}

// firstLegSince waits for the first call p got after its first n.
func firstLegSince(ctx context.Context, p *simPhone, n int) (*phone.Call, error) {
	for {
		calls, changed := p.incomingSince(n)
		if len(calls) > 0 {
			return calls[0], nil
		}
		if err := waitAny(ctx, changed); err != nil {
			return nil, err
		}
	}
}

// othersStopRinging: once the current call is answered, every other
// phone it rang is cancelled (487).
func othersStopRinging(ctx context.Context, w *world) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	w.mu.Lock()
	phones := make([]*simPhone, 0, len(w.phones))
	for k, p := range w.phones {
		if k.name != rec.callee && k.name != rec.caller {
			phones = append(phones, p)
		}
	}
	w.mu.Unlock()
	others := 0
	for _, p := range phones {
		calls, _ := p.incomingSince(rec.base[p.key])
		for _, c := range calls {
			others++
			end, err := c.Wait(wctx)
			if err != nil {
				return fmt.Errorf("%w: %s still rings: %w", ErrExpectation, p.key.name, err)
			}
			if end.Code != 487 {
				return fmt.Errorf("%w: %s's call ended with %d, want 487 (cancelled)", ErrExpectation, p.key.name, end.Code)
			}
		}
	}
	if others == 0 {
		return fmt.Errorf("%w: %s rang no other member", ErrExpectation, rec)
	}
	return nil
}
