package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// registerRingOutSteps: calls the PBX places itself — group notification
// (services.notification) and wake-up alarms (services.wakeup). The media
// file is a prompt tone ("the prompts … are tones", steps_ivr.go), so
// "hears prompt X from the PBX" is tone detection on the receiver's leg.
// The scenarios' PBX runs on the wall clock: "the time of notification N
// comes" and "the wake-up time of N comes" ask the in-process PBX to act
// now, as its timer would (the schedule itself is proven in virtual time,
// pbx/vtime_notify_test.go); retries use short configured intervals.
func registerRingOutSteps(sc *godog.ScenarioContext) {
	sc.Before(func(ctx context.Context, _ *godog.Scenario) (context.Context, error) {
		return context.WithValue(ctx, ringOutKey{}, &ringOutState{seen: map[phoneKey]int{}, legs: map[string]*phone.Call{}}), nil
	})
	sc.Given(`^the group notification "([^"]+)":$`, ringOutStep2(notificationTable))
	sc.Given(`^the wake-up alarm plays "([^"]+)" and retries (\d+) times? every (\d+) seconds?, ringing (\d+) seconds?$`,
		func(ctx context.Context, media string, retries, every, ring int) error {
			w, err := stepWorld(ctx)
			if err != nil {
				return err
			}
			return w.configure(func(c *config.Config) error {
				c.Services.Wakeup = config.WakeupConfig{Media: media, Retries: retries,
					RetryInterval: time.Duration(every) * time.Second, Ring: time.Duration(ring) * time.Second}
				return nil
			})
		})
	sc.When(`^the time of notification "([^"]+)" comes$`, ringOutStep1(func(_ context.Context, w *world, st *ringOutState, name string) error {
		srv, err := w.pbxServer()
		if err != nil {
			return err
		}
		if !srv.DeliverNotification(name) {
			return fmt.Errorf("%w: no local notification %q", ErrUsage, name)
		}
		return nil
	}))
	sc.When(`^the wake-up time of (\d+) comes$`, ringOutStep1(func(_ context.Context, w *world, st *ringOutState, name string) error {
		srv, err := w.pbxServer()
		if err != nil {
			return err
		}
		sub, err := w.subscriber(name)
		if err != nil {
			return err
		}
		if !srv.WakeupNow(sub.Number) {
			return fmt.Errorf("%w: %s has no wake-up alarm set", ErrExpectation, name)
		}
		return nil
	}))
	sc.When(`^(\d+) dials the access code (\S+)$`, func(ctx context.Context, caller, code string) error {
		w, st, err := ivrWorld(ctx)
		if err != nil {
			return err
		}
		return dialIVR(ctx, w, st, caller, code) // answered by the PBX; "hears prompt", "the PBX hangs up on"
	})
	sc.Then(`^the PBX calls (\d+)$`, ringOutStep1(pbxCalls))
	sc.Then(`^the PBX calls (\d+) again$`, ringOutStep1(pbxCalls))
	sc.Then(`^the PBX does not call (\d+) again$`, ringOutStep1(notCalledAgain))
	sc.Then(`^the PBX does not call (\d+)$`, ringOutStep1(notCalledAgain))
	sc.When(`^(\d+) answers the PBX's call$`, ringOutStep1(func(ctx context.Context, w *world, st *ringOutState, name string) error {
		leg, err := st.leg(name)
		if err != nil {
			return err
		}
		wctx, cancel := w.waitCtx(ctx)
		defer cancel()
		if leg.State() != phone.Answered {
			if err := leg.Answer(wctx); err != nil {
				return fmt.Errorf("%w: %s answers the PBX's call: %w", ErrExpectation, name, err)
			}
		}
		return nil
	}))
	sc.When(`^(\d+) hangs up the PBX's call$`, ringOutStep1(func(ctx context.Context, w *world, st *ringOutState, name string) error {
		leg, err := st.leg(name)
		if err != nil {
			return err
		}
		wctx, cancel := w.waitCtx(ctx)
		defer cancel()
		return leg.Hangup(wctx)
	}))
	sc.Then(`^(\d+) hears prompt "([^"]+)" in the PBX's call$`, ringOutStep2(hearsPromptFromPBX))
	sc.Then(`^(\d+) hears (\d+) in the PBX's call$`, ringOutStep2(func(ctx context.Context, w *world, st *ringOutState, name, speaker string) error {
		leg, err := st.leg(name)
		if err != nil {
			return err
		}
		id, err := w.identityOf(speaker)
		if err != nil {
			return err
		}
		wctx, cancel := w.waitCtx(ctx)
		defer cancel()
		if _, err := leg.Listen(wctx, id); err != nil {
			return fmt.Errorf("%w: %s does not hear %s: %w", ErrExpectation, name, speaker, err)
		}
		return nil
	}))
	sc.Then(`^the PBX ends its call to (\d+)$`, ringOutStep1(func(ctx context.Context, w *world, st *ringOutState, name string) error {
		leg, err := st.leg(name)
		if err != nil {
			return err
		}
		wctx, cancel := w.waitCtx(ctx)
		defer cancel()
		end, err := leg.Wait(wctx)
		if err != nil {
			return fmt.Errorf("%w: the PBX did not end its call to %s: %w", ErrExpectation, name, err)
		}
		if end.By != phone.Remote {
			return fmt.Errorf("%w: the PBX's call to %s ended by %s (%s), want the PBX", ErrExpectation, name, end.By, end.Reason)
		}
		return nil
	}))
	sc.When(`^(\d+) hangs up the access code call$`, func(ctx context.Context, name string) error {
		w, st, err := ivrWorld(ctx)
		if err != nil {
			return err
		}
		rec, err := st.ivrCall(name)
		if err != nil {
			return err
		}
		rec.checked = true
		wctx, cancel := w.waitCtx(ctx)
		defer cancel()
		return rec.out.Hangup(wctx)
	})
	sc.Given(`^(\d+) restricts the presentation of its number$`, step1(func(_ context.Context, w *world, name string) error {
		sub, err := w.subscriber(name)
		if err != nil {
			return err
		}
		return w.configure(func(c *config.Config) error {
			return editSubscriber(c, sub.Number, func(s *config.Subscriber) { s.CLIR = true })
		})
	}))
	sc.Then(`^(\d+) has a wake-up alarm at (\d{4})$`, step2(func(ctx context.Context, w *world, name, at string) error {
		return wakeupAlarm(ctx, w, name, at)
	}))
	sc.Then(`^(\d+) has no wake-up alarm$`, step1(func(ctx context.Context, w *world, name string) error {
		return wakeupAlarm(ctx, w, name, "")
	}))
	sc.Then(`^notification "([^"]+)" counts (\d+) as received after (\d+) calls?$`, func(ctx context.Context, name, rcv string, tries int) error {
		return notificationReceipt(ctx, name, rcv, tries, true)
	})
	sc.Then(`^notification "([^"]+)" counts (\d+) as not received after (\d+) calls?$`, func(ctx context.Context, name, rcv string, tries int) error {
		return notificationReceipt(ctx, name, rcv, tries, false)
	})
}

type ringOutKey struct{}

// ringOutState is the scenario's calls from the PBX: per phone how many
// of its incoming calls the steps have taken, and each number's latest.
type ringOutState struct {
	mu   sync.Mutex
	seen map[phoneKey]int
	legs map[string]*phone.Call
}

func (st *ringOutState) leg(name string) (*phone.Call, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if l := st.legs[name]; l != nil {
		return l, nil
	}
	return nil, fmt.Errorf("%w: the PBX has not called %s (\"Then the PBX calls %s\" first)", ErrUsage, name, name)
}

func ringOutStep1[A any](f func(context.Context, *world, *ringOutState, A) error) func(context.Context, A) error {
	return func(ctx context.Context, a A) error {
		w, err := stepWorld(ctx)
		if err != nil {
			return err
		}
		st, _ := ctx.Value(ringOutKey{}).(*ringOutState)
		if st == nil {
			return fmt.Errorf("%w: no ring-out state (before hook missing)", ErrUsage)
		}
		return f(ctx, w, st, a)
	}
}

func ringOutStep2[A, B any](f func(context.Context, *world, *ringOutState, A, B) error) func(context.Context, A, B) error {
	return func(ctx context.Context, a A, b B) error {
		return ringOutStep1(func(ctx context.Context, w *world, st *ringOutState, a A) error { return f(ctx, w, st, a, b) })(ctx, a)
	}
}

// notificationTable configures a notification from a two-column table
// (media, receivers, access code, mode, deliverer, retry interval
// seconds, max tries, ring seconds). Its time is midnight of 2000-01-01:
// it never comes by itself; "the time of notification N comes" delivers it.
func notificationTable(_ context.Context, w *world, _ *ringOutState, name string, tbl *godog.Table) error {
	n := config.Notification{Name: name, At: "00:00", Date: "2000-01-01"}
	ring := time.Duration(0)
	for _, row := range tbl.Rows {
		if len(row.Cells) != 2 {
			return fmt.Errorf("%w: notification rows are | field | value |", ErrUsage)
		}
		k, v := row.Cells[0].Value, strings.TrimSpace(row.Cells[1].Value)
		var err error
		switch k {
		case "media":
			n.Media = v
		case "receivers":
			for _, r := range strings.Split(v, ",") {
				sub, err := w.subscriber(strings.TrimSpace(r))
				if err != nil {
					return err
				}
				n.Receivers = append(n.Receivers, sub.Number)
			}
		case "access code":
			n.AccessCode = v
		case "mode":
			n.Mode = config.NotificationMode(v)
		case "deliverer":
			sub, err := w.subscriber(v)
			if err != nil {
				return err
			}
			n.Deliverer = sub.Number
		case "retry interval":
			n.RetryInterval, err = time.ParseDuration(v)
		case "ring":
			ring, err = time.ParseDuration(v)
		case "max tries":
			_, err = fmt.Sscan(v, &n.MaxTries)
		default:
			return fmt.Errorf("%w: unknown notification field %q", ErrUsage, k)
		}
		if err != nil {
			return fmt.Errorf("%w: notification %s: %w", ErrUsage, k, err)
		}
	}
	return w.configure(func(c *config.Config) error {
		c.Services.Notification.Notifications = append(c.Services.Notification.Notifications, n)
		if ring > 0 {
			c.Services.Notification.Ring = ring
		}
		return nil
	})
}

// pbxCalls waits for a call to one of name's phones that the steps have
// not taken yet, and takes it.
func pbxCalls(ctx context.Context, w *world, st *ringOutState, name string) error {
	ds := w.devicesOf(name)
	if len(ds) == 0 {
		return fmt.Errorf("%w: no phone %s (register it first)", ErrUsage, name)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	for {
		var changed []<-chan struct{}
		for _, d := range ds {
			st.mu.Lock()
			n := st.seen[d.key]
			st.mu.Unlock()
			calls, ch := d.incomingSince(n)
			if len(calls) > 0 {
				st.mu.Lock()
				st.seen[d.key] = n + 1
				st.legs[name] = calls[0]
				st.mu.Unlock()
				if err := calls[0].WaitRinging(wctx); err != nil && calls[0].State() != phone.Answered {
					return fmt.Errorf("%w: the PBX's call to %s does not ring: %w", ErrExpectation, name, err)
				}
				return nil
			}
			changed = append(changed, ch)
		}
		if err := waitAny(wctx, changed...); err != nil {
			return fmt.Errorf("%w: the PBX did not call %s: %w", ErrExpectation, name, err)
		}
	}
}

// notCalledAgain: no call beyond those taken reaches name for the whole
// quiet window.
func notCalledAgain(ctx context.Context, w *world, st *ringOutState, name string) error {
	ds := w.devicesOf(name)
	if len(ds) == 0 {
		return fmt.Errorf("%w: no phone %s (register it first)", ErrUsage, name)
	}
	qctx, cancel := context.WithTimeout(ctx, quietWindow)
	defer cancel()
	for {
		var changed []<-chan struct{}
		for _, d := range ds {
			st.mu.Lock()
			n := st.seen[d.key]
			st.mu.Unlock()
			calls, ch := d.incomingSince(n)
			if len(calls) > 0 {
				return fmt.Errorf("%w: the PBX called %s again", ErrExpectation, name)
			}
			changed = append(changed, ch)
		}
		if err := waitAny(qctx, changed...); err != nil {
			return nil // quiet for the whole window
		}
	}
}

// hearsPromptFromPBX: the prompt's tone on name's leg of the PBX's call.
func hearsPromptFromPBX(ctx context.Context, w *world, st *ringOutState, name, prompt string) error {
	leg, err := st.leg(name)
	if err != nil {
		return err
	}
	ivr := ivrFrom(ctx)
	if ivr == nil {
		return fmt.Errorf("%w: no prompt tones", ErrUsage)
	}
	ivr.mu.Lock()
	f, ok := ivr.freqs[prompt]
	ivr.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: prompt %q has no tone (see \"the prompts … are tones\")", ErrUsage, prompt)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if _, err := leg.Listen(wctx, phone.SingleTone(f)); err != nil {
		return fmt.Errorf("%w: %s does not hear prompt %q (%g Hz): %w", ErrExpectation, name, prompt, f, err)
	}
	return nil
}

// notificationReceipt checks the in-process PBX's record of the latest
// delivery (waiting, bounded, for the receiver's last call to be over).
func notificationReceipt(ctx context.Context, name, rcv string, tries int, received bool) error {
	w, err := stepWorld(ctx)
	if err != nil {
		return err
	}
	srv, err := w.pbxServer()
	if err != nil {
		return err
	}
	sub, err := w.subscriber(rcv)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	for {
		r, ok := srv.NotificationStatus(name)[sub.Number]
		if ok && !r.Pending || ok && r.Received {
			if r.Received != received || r.Tries != tries {
				return fmt.Errorf("%w: notification %s for %s: %+v, want received=%v after %d calls", ErrExpectation, name, rcv, r, received, tries)
			}
			return nil
		}
		select {
		case <-wctx.Done():
			return fmt.Errorf("%w: notification %s for %s still pending: %+v: %w", ErrExpectation, name, rcv, r, errors.Join(wctx.Err()))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// wakeupAlarm checks the in-process PBX's armed alarm of name ("": none),
// waiting (bounded) for a call in progress to settle it.
func wakeupAlarm(ctx context.Context, w *world, name, want string) error {
	srv, err := w.pbxServer()
	if err != nil {
		return err
	}
	sub, err := w.subscriber(name)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	for {
		got := srv.WakeupAlarms()[sub.Number]
		if got == want {
			return nil
		}
		select {
		case <-wctx.Done():
			return fmt.Errorf("%w: %s's wake-up alarm is %q, want %q", ErrExpectation, name, got, want)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
