package steps

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/cucumber/godog"

	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// registerConferenceSteps: the conference bridge, observed from the
// simulated phones. A room is configured by number (so the scenarios are
// @in-process); dialling it joins it. Its members are the scenario's calls
// to the room that were answered and not hung up; audio is checked by
// tone detection: each member hears every other member's identity in the
// mix, and not its own.
func registerConferenceSteps(sc *godog.ScenarioContext) {
	sc.Given(`^conference room (\d+) is configured$`, step1(func(_ context.Context, w *world, room string) error {
		return configureRoom(w, room, config.DefaultMaxParties)
	}))
	sc.Given(`^conference room (\d+) seats (\d+) parties$`, step2(func(_ context.Context, w *world, room string, seats int) error {
		return configureRoom(w, room, seats)
	}))
	sc.Given(`^phones (\d+) to (\d+) are registered$`, step2(func(ctx context.Context, w *world, from, to string) error {
		return eachNumber(from, to, func(name string) error { return registerPhone(ctx, w, name, "", 0) })
	}))
	sc.When(`^(\d+) joins conference (\d+)$`, step2(joinConference))
	sc.When(`^phones (\d+) to (\d+) join conference (\d+)$`, step3(func(ctx context.Context, w *world, from, to, room string) error {
		return eachNumber(from, to, func(name string) error { return joinConference(ctx, w, name, room) })
	}))
	sc.When(`^(\d+) tries to join conference (\d+)$`, step2(func(ctx context.Context, w *world, name, room string) error {
		_, err := dial(ctx, w, name, "", room)
		return err
	}))
	sc.When(`^(\d+) leaves conference (\d+)$`, step2(leaveConference))
	sc.When(`^everyone leaves conference (\d+)$`, step1(func(ctx context.Context, w *world, room string) error {
		for _, m := range w.members(room) {
			if err := leaveConference(ctx, w, m.caller, room); err != nil {
				return err
			}
		}
		return nil
	}))
	sc.Then(`^each member of conference (\d+) hears every other member and not itself$`, step1(eachHearsOthers))
	sc.Then(`^(\d+) no longer hears (\d+) in conference (\d+)$`, step3(noLongerHears))
	sc.Then(`^every call to conference (\d+) ended normally$`, step1(conferenceCallsEnded))
}

func configureRoom(w *world, room string, seats int) error {
	return w.configure(func(c *config.Config) error {
		c.Conferences = append(c.Conferences, config.Conference{Number: room, MaxParties: seats})
		return nil
	})
}

// eachNumber runs f for every scenario number from..to.
func eachNumber(from, to string, f func(name string) error) error {
	lo, err1 := strconv.Atoi(from)
	hi, err2 := strconv.Atoi(to)
	if err1 != nil || err2 != nil || lo > hi || hi-lo >= 100 {
		return fmt.Errorf("%w: bad range %s to %s", ErrUsage, from, to)
	}
	for n := lo; n <= hi; n++ {
		if err := f(strconv.Itoa(n)); err != nil {
			return err
		}
	}
	return nil
}

// joinConference dials the room from name's phone and wants it answered.
func joinConference(ctx context.Context, w *world, name, room string) error {
	rec, err := dial(ctx, w, name, "", room)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if err := rec.out.WaitAnswer(wctx); err != nil {
		return fmt.Errorf("%w: %s joining conference %s: %w", ErrExpectation, name, room, err)
	}
	return nil
}

// members are the calls to room that were answered and not hung up.
func (w *world) members(room string) []*callRec {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*callRec
	for _, c := range w.calls {
		if c.callee == room && c.out != nil && c.out.Code() == 200 && c.hungUpBy == "" {
			out = append(out, c)
		}
	}
	return out
}

// memberOf is name's call in room.
func (w *world) memberOf(name, room string) (*callRec, error) {
	for _, m := range w.members(room) {
		if m.caller == name {
			return m, nil
		}
	}
	return nil, fmt.Errorf("%w: %s is not in conference %s", ErrUsage, name, room)
}

func leaveConference(ctx context.Context, w *world, name, room string) error {
	m, err := w.memberOf(name, room)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	m.hungUpBy = name
	if err := m.out.Hangup(wctx); err != nil {
		return fmt.Errorf("%w: %s leaves conference %s: %w", ErrExpectation, name, room, err)
	}
	return nil
}

// identitiesExcept are the identities of the members of room but name's.
func (w *world) identitiesExcept(room, name string) ([]phone.Identity, error) {
	var out []phone.Identity
	for _, m := range w.members(room) {
		if m.caller == name {
			continue
		}
		id, err := w.identityOf(m.caller)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

// eachHearsOthers: every member, at the same time, hears all the others
// at once (their identities together in the mix) and not its own.
func eachHearsOthers(ctx context.Context, w *world, room string) error {
	ms := w.members(room)
	if len(ms) < 2 {
		return fmt.Errorf("%w: conference %s has %d members", ErrUsage, room, len(ms))
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	errs := make([]error, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		ids, err := w.identitiesExcept(room, m.caller)
		if err != nil {
			return err
		}
		wg.Go(func() {
			if res, err := m.out.ListenAll(wctx, ids); err != nil {
				errs[i] = fmt.Errorf("%w: %s does not hear the %d others (and only them) in conference %s: %w (%s)",
					ErrExpectation, m.caller, len(ids), room, err, res.Detail.Reason)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// noLongerHears: a hears the members left, and the set with b among them
// is no longer heard for the whole quiet window (b's tones are gone from
// the mix while the others' are still there).
func noLongerHears(ctx context.Context, w *world, a, b, room string) error {
	m, err := w.memberOf(a, room)
	if err != nil {
		return err
	}
	ids, err := w.identitiesExcept(room, a)
	if err != nil {
		return err
	}
	gone, err := w.identityOf(b)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if len(ids) > 0 {
		if _, err := m.out.ListenAll(wctx, ids); err != nil {
			return fmt.Errorf("%w: %s does not hear the members left in conference %s: %w", ErrExpectation, a, room, err)
		}
	}
	qctx, qcancel := context.WithTimeout(ctx, quietWindow)
	defer qcancel()
	res, err := m.out.ListenAll(qctx, append(ids, gone))
	switch {
	case err == nil:
		return fmt.Errorf("%w: %s still hears %s in conference %s", ErrExpectation, a, b, room)
	case !errors.Is(err, phone.ErrNotHeard):
		return fmt.Errorf("%w: %s: audio check failed for another reason: %w", ErrExpectation, a, err)
	case res.Detail.Reason != "expected tone missing from the chord" && res.Detail.Reason != "expected tone not above noise":
		return fmt.Errorf("%w: %s: not heard for an unexpected reason: %s", ErrExpectation, a, res.Detail.Reason)
	}
	return nil
}

// conferenceCallsEnded: every answered call to room ended with a BYE, the
// member's own when it left, the PBX's otherwise.
func conferenceCallsEnded(ctx context.Context, w *world, room string) error {
	w.mu.Lock()
	var calls []*callRec
	for _, c := range w.calls {
		if c.callee == room && c.out != nil && c.out.Code() == 200 {
			calls = append(calls, c)
		}
	}
	w.mu.Unlock()
	if len(calls) == 0 {
		return fmt.Errorf("%w: nobody joined conference %s", ErrUsage, room)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	for _, c := range calls {
		c.checked = true
		end, err := c.out.Wait(wctx)
		if err != nil {
			return fmt.Errorf("%w: %s did not end: %w", ErrExpectation, c, err)
		}
		want := phone.Remote
		if c.hungUpBy != "" {
			want = phone.Local
		}
		if end.Reason != phone.ReasonBye || end.By != want || end.Err != nil {
			return fmt.Errorf("%w: %s ended by %s with %s (error %v), want a BYE by %s", ErrExpectation, c, end.By, end.Reason, end.Err, want)
		}
	}
	return nil
}
