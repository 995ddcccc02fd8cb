package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// registerThreewaySteps: the three-party call and the ad-hoc conference
// (services.three_party): a party keys *3 in its consultation call, the
// PBX merges its calls into a conference; each party is then on its own
// leg, found as its latest answered leg of the scenario's calls.
func registerThreewaySteps(sc *godog.ScenarioContext) {
	sc.Given(`^ad-hoc conferences seat (\d+) parties$`, step1(func(_ context.Context, w *world, n int) error {
		return w.configure(func(c *config.Config) error {
			c.Services.ThreeParty.MaxParties = n
			return nil
		})
	}))
	sc.Given(`^a three-party call ends when its host hangs up$`, step0(func(_ context.Context, w *world) error {
		return w.configure(func(c *config.Config) error {
			c.Services.ThreeParty.OnHostHangup = "end"
			return nil
		})
	}))
	sc.When(`^(\d+) keys \*3 in its call with (\d+)$`, step2(keysMerge))
	sc.When(`^(\d+) puts its call with (\d+) on hold$`, step2(func(ctx context.Context, w *world, a, b string) error {
		return holdCallWith(ctx, w, a, b, true)
	}))
	sc.When(`^(\d+) resumes its call with (\d+)$`, step2(func(ctx context.Context, w *world, a, b string) error {
		return holdCallWith(ctx, w, a, b, false)
	}))
	sc.When(`^(\d+) puts the conference on hold$`, step1(func(ctx context.Context, w *world, name string) error {
		return holdConference(ctx, w, name, true)
	}))
	sc.When(`^(\d+) resumes the conference$`, step1(func(ctx context.Context, w *world, name string) error {
		return holdConference(ctx, w, name, false)
	}))
	sc.When(`^(\d+) leaves the conference$`, step1(leaveConf))
	sc.When(`^(\d+) hangs up its call with (\d+)$`, step2(func(ctx context.Context, w *world, a, b string) error {
		rec, err := w.callBetween(a, b)
		if err != nil {
			return err
		}
		leg := legOf(rec, a)
		if leg == nil {
			return fmt.Errorf("%w: %s has no leg of %s", ErrUsage, a, rec)
		}
		rec.hungUpBy = a
		wctx, cancel := w.waitCtx(ctx)
		defer cancel()
		if err := leg.Hangup(wctx); err != nil {
			return fmt.Errorf("%w: %s hangs up %s: %w", ErrExpectation, a, rec, err)
		}
		return nil
	}))
	sc.Then(`^(\d+)'s call with (\d+) is ended by the PBX$`, step2(callWithEndedByPBX))
	sc.Then(`^(\d+) is disconnected from the conference by the PBX$`, step1(func(ctx context.Context, w *world, name string) error {
		leg, _, err := lastLeg(w, name)
		if err != nil {
			return err
		}
		return legEndedByPBX(ctx, w, name, leg)
	}))
	sc.Then(`^((?:\d+, )*\d+) and (\d+) hear each other in the conference$`, step2(func(ctx context.Context, w *world, list, last string) error {
		return hearInConference(ctx, w, append(strings.Split(list, ", "), last))
	}))
	sc.Then(`^(\d+) hears the (CN|US) (busy|error) tone in its call with (\d+)$`, func(ctx context.Context, name, plan, kind, other string) error {
		w := worldFrom(ctx)
		rec, err := w.callBetween(name, other)
		if err != nil {
			return err
		}
		id := toneIdentity(plan, kind)
		wctx, cancel := w.waitCtx(ctx)
		defer cancel()
		if _, err := legOf(rec, name).Listen(wctx, id); err != nil {
			return fmt.Errorf("%w: %s does not hear the %s %s tone (%s) in %s: %w", ErrExpectation, name, plan, kind, id, rec, err)
		}
		return nil
	})
	sc.Then(`^every call of the scenario has ended$`, step0(everyCallEnded))
	sc.Then(`^every call of the scenario left an answered CDR$`, step0(everyCallAnsweredCDR))
}

// keysMerge: a keys *3 (RFC 4733) on its leg of its call with b.
func keysMerge(ctx context.Context, w *world, a, b string) error {
	rec, err := w.callBetween(a, b)
	if err != nil {
		return err
	}
	leg := legOf(rec, a)
	if leg == nil || leg.State() != phone.Answered {
		return fmt.Errorf("%w: %s has no answered leg of %s", ErrUsage, a, rec)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if err := leg.SendDTMF(wctx, "*3"); err != nil {
		return fmt.Errorf("%w: %s keys *3: %w", ErrExpectation, a, err)
	}
	return nil
}

func holdCallWith(ctx context.Context, w *world, a, b string, hold bool) error {
	rec, err := w.callBetween(a, b)
	if err != nil {
		return err
	}
	leg := legOf(rec, a)
	if leg == nil || leg.State() != phone.Answered {
		return fmt.Errorf("%w: %s has no answered leg of %s", ErrUsage, a, rec)
	}
	return holdLeg(ctx, w, leg, a, hold)
}

func holdLeg(ctx context.Context, w *world, leg *phone.Call, name string, hold bool) error {
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	what, f := "resumes", leg.Resume
	if hold {
		what, f = "holds", leg.Hold
	}
	if err := f(wctx); err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrExpectation, name, what, err)
	}
	return nil
}

// confLeg is name's latest answered leg of the scenario's calls: its
// place in the conference.
func confLeg(w *world, name string) (*phone.Call, *callRec, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.calls) - 1; i >= 0; i-- {
		rec := w.calls[i]
		if rec.caller != name && rec.callee != name {
			continue
		}
		if leg := legOf(rec, name); leg != nil && leg.State() == phone.Answered {
			return leg, rec, nil
		}
	}
	return nil, nil, fmt.Errorf("%w: %s has no answered call", ErrUsage, name)
}

// lastLeg is name's leg of its latest call, whatever its state (its
// conference leg, maybe ended already).
func lastLeg(w *world, name string) (*phone.Call, *callRec, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.calls) - 1; i >= 0; i-- {
		rec := w.calls[i]
		if rec.caller != name && rec.callee != name {
			continue
		}
		if leg := legOf(rec, name); leg != nil {
			return leg, rec, nil
		}
	}
	return nil, nil, fmt.Errorf("%w: %s has no call", ErrUsage, name)
}

func holdConference(ctx context.Context, w *world, name string, hold bool) error {
	leg, _, err := confLeg(w, name)
	if err != nil {
		return err
	}
	return holdLeg(ctx, w, leg, name, hold)
}

func leaveConf(ctx context.Context, w *world, name string) error {
	leg, rec, err := confLeg(w, name)
	if err != nil {
		return err
	}
	rec.hungUpBy = name
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if err := leg.Hangup(wctx); err != nil {
		return fmt.Errorf("%w: %s hangs up: %w", ErrExpectation, name, err)
	}
	return nil
}

func callWithEndedByPBX(ctx context.Context, w *world, a, b string) error {
	rec, err := w.callBetween(a, b)
	if err != nil {
		return err
	}
	leg := legOf(rec, a)
	if leg == nil {
		return fmt.Errorf("%w: %s has no leg of %s", ErrUsage, a, rec)
	}
	return legEndedByPBX(ctx, w, a, leg)
}

// hearInConference: each of names hears all the others at once on its
// conference leg, and not itself.
func hearInConference(ctx context.Context, w *world, names []string) error {
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		leg, _, err := confLeg(w, n)
		if err != nil {
			return err
		}
		var ids []phone.Identity
		for _, o := range names {
			if o == n {
				continue
			}
			id, err := w.identityOf(o)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		wg.Go(func() {
			if res, err := leg.ListenAll(wctx, ids); err != nil {
				errs[i] = fmt.Errorf("%w: %s does not hear the %d others (and only them): %w (%s)", ErrExpectation, n, len(ids), err, res.Detail.Reason)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// everyCallEnded: every leg of every call of the scenario ended with a
// BYE or a final status (the calls that were answered with a BYE).
func everyCallEnded(ctx context.Context, w *world) error {
	w.mu.Lock()
	calls := append([]*callRec(nil), w.calls...)
	w.mu.Unlock()
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	for _, rec := range calls {
		rec.checked = true
		for _, leg := range []*phone.Call{rec.out, rec.answered} {
			if leg == nil {
				continue
			}
			end, err := leg.Wait(wctx)
			if err != nil {
				return fmt.Errorf("%w: a leg of %s did not end: %w", ErrExpectation, rec, err)
			}
			if end.Err != nil || (rec.answered != nil && end.Reason != phone.ReasonBye) {
				return fmt.Errorf("%w: a leg of %s ended with %s (error %v), want a BYE", ErrExpectation, rec, end.Reason, end.Err)
			}
		}
	}
	return nil
}

// everyCallAnsweredCDR: the PBX wrote one finished, answered record per
// answered call of the scenario.
func everyCallAnsweredCDR(ctx context.Context, w *world) error {
	w.mu.Lock()
	n := 0
	for _, rec := range w.calls {
		if rec.answered != nil {
			n++
		}
	}
	w.mu.Unlock()
	cs, ok := w.sess.(cdrSession)
	if !ok {
		return fmt.Errorf("%w: the target does not show CDRs (tag the scenario @in-process @pbx-files)", ErrUsage)
	}
	return awaitCDRs(ctx, w, cs, n)
}

func awaitCDRs(ctx context.Context, w *world, cs cdrSession, n int) error {
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last []pbx.CDR
	for {
		if rs, err := cs.cdrs(wctx); err == nil {
			last = rs
			answered := 0
			for _, r := range rs {
				if r.Disposition == pbx.Answered {
					answered++
				}
			}
			if answered == n && len(rs) == n {
				return nil
			}
		}
		select {
		case <-tick.C:
		case <-wctx.Done():
			return fmt.Errorf("%w: want %d finished answered CDRs: %s(%v)", ErrExpectation, n, brief(last), wctx.Err())
		}
	}
}
