package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"pbxlab/internal/dialoginfo"
	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// The busy lamp field (RFC 4235, services.presence): a phone watches
// another extension's line (SUBSCRIBE, Event: dialog) and reads each
// NOTIFY's dialog-info as a lamp. "X watches the line of Y" subscribes for
// an hour; "X sees the line of Y <lamp>" waits for a NOTIFY showing it;
// "X tries to watch ..." keeps the refusal for "the watch is refused
// with <code>".
func registerPresenceSteps(sc *godog.ScenarioContext) {
	sc.Given(`^the line of (\d+) may be watched only by (\d+(?:, \d+)*)$`, step2(func(_ context.Context, w *world, name, list string) error {
		watched, err := w.subscriber(name)
		if err != nil {
			return err
		}
		var watchers []string
		for _, n := range strings.Split(list, ", ") {
			sub, err := w.subscriber(n)
			if err != nil {
				return err
			}
			watchers = append(watchers, sub.Number)
		}
		return w.configure(func(c *config.Config) error {
			if c.Services.Presence.Watchers == nil {
				c.Services.Presence.Watchers = map[string][]string{}
			}
			c.Services.Presence.Watchers[watched.Number] = watchers
			return nil
		})
	}))
	sc.When(`^(\d+) watches the line of (\d+)$`, step2(func(ctx context.Context, w *world, watcher, name string) error {
		return watchLine(ctx, w, watcher, name, dialoginfo.Event, time.Hour, true)
	}))
	sc.When(`^(\d+) watches the line of (\d+) for (\d+) seconds?$`, step3(func(ctx context.Context, w *world, watcher, name string, secs int) error {
		return watchLine(ctx, w, watcher, name, dialoginfo.Event, time.Duration(secs)*time.Second, true)
	}))
	sc.When(`^(\d+) tries to watch the line of (\d+)$`, step2(func(ctx context.Context, w *world, watcher, name string) error {
		return watchLine(ctx, w, watcher, name, dialoginfo.Event, time.Hour, false)
	}))
	sc.When(`^(\d+) subscribes to the "([^"]+)" event of (\d+)$`, step3(func(ctx context.Context, w *world, watcher, event, name string) error {
		return watchLine(ctx, w, watcher, name, event, time.Hour, false)
	}))
	sc.Then(`^the watch is refused with (\d+)$`, step1(watchRefused))
	sc.Then(`^(\d+) sees the line of (\d+) (idle|ringing|calling|talking)$`, step3(seesLine))
	sc.Then(`^(\d+) has never seen the line of (\d+) ringing$`, step2(neverRinging))
	sc.Then(`^the dialog-info versions (\d+) got for (\d+) count up from 0$`, step2(versionsCount))
	sc.When(`^(\d+) refreshes the watch of (\d+) for (\d+) seconds$`, step3(func(ctx context.Context, w *world, watcher, name string, secs int) error {
		s, err := w.watch(watcher, name)
		if err != nil {
			return err
		}
		wctx, cancel := w.waitCtx(ctx)
		defer cancel()
		if err := s.Refresh(wctx, time.Duration(secs)*time.Second); err != nil {
			return fmt.Errorf("%w: %s refreshes its watch of %s: %w", ErrExpectation, watcher, name, err)
		}
		return nil
	}))
	sc.Then(`^the watch of (\d+) by (\d+) is granted (\d+) seconds$`, step3(func(_ context.Context, w *world, name, watcher string, secs int) error {
		s, err := w.watch(watcher, name)
		if err != nil {
			return err
		}
		if got := s.Expires(); got != time.Duration(secs)*time.Second {
			return fmt.Errorf("%w: %s's watch of %s granted %s, want %ds", ErrExpectation, watcher, name, got, secs)
		}
		return nil
	}))
	sc.When(`^(\d+) stops watching the line of (\d+)$`, step2(func(ctx context.Context, w *world, watcher, name string) error {
		s, err := w.watch(watcher, name)
		if err != nil {
			return err
		}
		wctx, cancel := w.waitCtx(ctx)
		defer cancel()
		if err := s.Unsubscribe(wctx); err != nil {
			return fmt.Errorf("%w: %s un-subscribes from %s: %w", ErrExpectation, watcher, name, err)
		}
		return nil
	}))
	sc.Then(`^the watch of (\d+) by (\d+) ends with a final NOTIFY$`, step2(func(ctx context.Context, w *world, name, watcher string) error {
		s, err := w.watch(watcher, name)
		if err != nil {
			return err
		}
		wctx, cancel := w.waitCtx(ctx)
		defer cancel()
		n, err := s.WaitNotify(wctx, phone.Notify.Terminated)
		if err != nil {
			return fmt.Errorf("%w: no NOTIFY with Subscription-State terminated to %s: %w", ErrExpectation, watcher, err)
		}
		if _, ok := n.Line(); !ok {
			return fmt.Errorf("%w: the final NOTIFY carries no dialog-info: %v", ErrExpectation, n.DialogErr)
		}
		return nil
	}))
}

// blfScenario is the scenario's watches (world.blf).
type blfScenario struct {
	subs    map[string]*phone.Subscription // by watcher|watched scenario numbers
	refused error                          // the last watch that failed
}

func (w *world) blfState() *blfScenario {
	if w.blf == nil {
		w.blf = &blfScenario{subs: map[string]*phone.Subscription{}}
	}
	return w.blf
}

func (w *world) watch(watcher, name string) (*phone.Subscription, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.blfState().subs[watcher+"|"+name]
	if s == nil {
		return nil, fmt.Errorf("%w: %s does not watch %s", ErrUsage, watcher, name)
	}
	return s, nil
}

// watchLine subscribes watcher to name's event; must: a refusal fails
// the step, else it is kept for watchRefused.
func watchLine(ctx context.Context, w *world, watcher, name, event string, expires time.Duration, must bool) error {
	sp, err := w.simPhoneOf(watcher, "")
	if err != nil {
		return err
	}
	number := name
	if sub, err := w.subscriber(name); err == nil {
		number = sub.Number
	} else if must {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	s, err := sp.p.SubscribeTo(wctx, event, number, expires)
	w.mu.Lock()
	defer w.mu.Unlock()
	b := w.blfState()
	b.refused = err
	if err != nil {
		if must {
			return fmt.Errorf("%w: %s watches %s: %w", ErrExpectation, watcher, name, err)
		}
		return nil
	}
	if !must {
		b.refused = fmt.Errorf("%w: %s's watch of %s was accepted", ErrExpectation, watcher, name)
	}
	b.subs[watcher+"|"+name] = s
	return nil
}

func watchRefused(_ context.Context, w *world, code int) error {
	w.mu.Lock()
	err := w.blfState().refused
	w.mu.Unlock()
	var se *phone.StatusError
	if !errors.As(err, &se) || se.Code != code {
		return fmt.Errorf("%w: the watch ended with %v, want %d", ErrExpectation, err, code)
	}
	return nil
}

// lamps are the scenario words for a line state.
var lamps = map[string]struct{ state, direction string }{
	"idle":    {dialoginfo.Terminated, ""},
	"ringing": {dialoginfo.Early, dialoginfo.Recipient},
	"calling": {dialoginfo.Trying, dialoginfo.Initiator},
	"talking": {dialoginfo.Confirmed, ""},
}

func seesLine(ctx context.Context, w *world, watcher, name, lamp string) error {
	s, err := w.watch(watcher, name)
	if err != nil {
		return err
	}
	l := lamps[lamp]
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if _, err := s.WaitLine(wctx, l.state, l.direction); err != nil {
		return fmt.Errorf("%w: %s does not see %s %s (saw %+v): %w", ErrExpectation, watcher, name, lamp, s.Lines(), err)
	}
	return nil
}

func neverRinging(_ context.Context, w *world, watcher, name string) error {
	s, err := w.watch(watcher, name)
	if err != nil {
		return err
	}
	ls := s.Lines()
	if len(ls) == 0 {
		return fmt.Errorf("%w: %s got no NOTIFY for %s", ErrExpectation, watcher, name)
	}
	for _, l := range ls {
		if l.State == dialoginfo.Early || l.State == dialoginfo.Proceeding {
			return fmt.Errorf("%w: %s saw %s ringing (%+v)", ErrExpectation, watcher, name, ls)
		}
	}
	return nil
}

func versionsCount(_ context.Context, w *world, watcher, name string) error {
	s, err := w.watch(watcher, name)
	if err != nil {
		return err
	}
	ls := s.Lines()
	if len(ls) < 2 {
		return fmt.Errorf("%w: %s got %d NOTIFYs for %s, want several", ErrExpectation, watcher, len(ls), name)
	}
	for i, l := range ls {
		if l.Version != uint32(i) {
			return fmt.Errorf("%w: versions %+v, want 0, 1, 2 ...", ErrExpectation, ls)
		}
	}
	return nil
}
