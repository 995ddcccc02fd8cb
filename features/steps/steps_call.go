package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cucumber/godog"
	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/sim/phone"
)

// quietWindow is how long "does not ring" and "does not hear" listen
// (features/README.md documents it): a ring or audio at any moment of the
// window fails the step.
const quietWindow = 2 * time.Second

// registerCallSteps: placing, ringing, answering, hanging up, audio.
func registerCallSteps(sc *godog.ScenarioContext) {
	sc.Given(`^phone (\d+) is busy$`, step1(func(_ context.Context, w *world, name string) error {
		return setAnswer(w, name, phone.AnswerMode{Behaviour: phone.Busy})
	}))
	sc.Given(`^phone (\d+) sends early media while ringing$`, step1(func(_ context.Context, w *world, name string) error {
		return setAnswer(w, name, phone.AnswerMode{Behaviour: phone.Manual, EarlyMedia: true})
	}))
	sc.Given(`^phone (\d+) is muted$`, step1(func(_ context.Context, w *world, name string) error {
		for _, sp := range w.devicesOf(name) {
			sp.p.SetMute(true)
		}
		if len(w.devicesOf(name)) == 0 {
			return fmt.Errorf("%w: no phone %s to mute", ErrUsage, name)
		}
		return nil
	}))

	sc.When(`^(\d+) calls (\d+)$`, step2(func(ctx context.Context, w *world, caller, callee string) error {
		_, err := dial(ctx, w, caller, callee, "")
		return err
	}))
	sc.When(`^(\d+) calls a number that is not assigned$`, step1(func(ctx context.Context, w *world, caller string) error {
		_, err := dial(ctx, w, caller, "", w.sess.Unassigned())
		return err
	}))
	sc.Then(`^(\d+) rings$`, step1(func(ctx context.Context, w *world, name string) error {
		_, err := waitRinging(ctx, w, name, "")
		return err
	}))
	sc.Then(`^(\d+) rings on device "([^"]+)"$`, step2(func(ctx context.Context, w *world, name, device string) error {
		_, err := waitRinging(ctx, w, name, device)
		return err
	}))
	sc.Then(`^(\d+) does not ring$`, step1(doesNotRing))
	sc.Then(`^(\d+) hears ringing$`, step1(hearsRinging))
	sc.When(`^(\d+) answers$`, step1(func(ctx context.Context, w *world, name string) error {
		return answer(ctx, w, name, "")
	}))
	sc.When(`^(\d+) answers on device "([^"]+)"$`, step2(func(ctx context.Context, w *world, name, device string) error {
		return answer(ctx, w, name, device)
	}))
	sc.When(`^(\d+) hangs up$`, step1(hangUp))
	sc.Then(`^(\d+) and (\d+) hear each other$`, step2(hearEachOther))
	sc.Then(`^(\d+) hears (\d+)$`, step2(func(ctx context.Context, w *world, a, b string) error {
		return hears(ctx, w, a, b, true)
	}))
	sc.Then(`^(\d+) does not hear (\d+)$`, step2(func(ctx context.Context, w *world, a, b string) error {
		return hears(ctx, w, a, b, false)
	}))
	sc.Then(`^(\d+) receives early media$`, step1(receivesEarlyMedia))
	sc.Then(`^(\d+) hears (\d+) before the call is answered$`, step2(hearsEarly))
}

func setAnswer(w *world, name string, m phone.AnswerMode) error {
	ds := w.devicesOf(name)
	if len(ds) == 0 {
		return fmt.Errorf("%w: no phone %s (register it first)", ErrUsage, name)
	}
	for _, sp := range ds {
		sp.p.SetAnswer(m)
	}
	return nil
}

// dial places a call from caller's phone to the scenario number callee, or
// to the real number direct when callee is "", or to callee by dialling
// direct when both are given.
func dial(ctx context.Context, w *world, caller, callee, direct string) (*callRec, error) {
	sp, err := w.simPhoneOf(caller, "")
	if err != nil {
		return nil, err
	}
	number := direct
	switch {
	case callee != "" && direct == "":
		sub, err := w.subscriber(callee)
		if err != nil {
			return nil, err
		}
		number = sub.Number
	case callee == "":
		callee = direct
	} // both: callee dialled as direct (another form of its number)
	rec := &callRec{caller: caller, callee: callee, base: map[phoneKey]int{}}
	for _, d := range w.devicesOf(callee) {
		rec.base[d.key] = d.incomingCount()
	}
	dctx, cancel := w.waitCtx(ctx)
	defer cancel()
	c, err := sp.p.Dial(dctx, number)
	if err != nil {
		return nil, fmt.Errorf("%w: %s calls %s: %w", ErrExpectation, caller, callee, err)
	}
	rec.out = c
	w.addCall(rec)
	return rec, nil
}

// legs returns the incoming legs of call rec on the callee's devices
// (device "" = all), and a channel closed when any of them gets a new call.
func (w *world) legs(rec *callRec, device string) ([]*phone.Call, []<-chan struct{}) {
	var calls []*phone.Call
	var changed []<-chan struct{}
	for _, d := range w.devicesOf(rec.callee) {
		if device != "" && d.key.device != device {
			continue
		}
		cs, ch := d.incomingSince(rec.base[d.key])
		calls = append(calls, cs...)
		changed = append(changed, ch)
	}
	return calls, changed
}

// waitLeg waits until the current call reaches name (on device).
func waitLeg(ctx context.Context, w *world, name, device string) (*callRec, *phone.Call, error) {
	rec, err := w.currentCall()
	if err != nil {
		return nil, nil, err
	}
	if rec.callee != name {
		return nil, nil, fmt.Errorf("%w: the current call is %s, not to %s", ErrUsage, rec, name)
	}
	if len(w.devicesOf(name)) == 0 {
		return nil, nil, fmt.Errorf("%w: %s has no simulated phone", ErrUsage, name)
	}
	for {
		calls, changed := w.legs(rec, device)
		if len(calls) > 0 {
			return rec, calls[0], nil
		}
		cases := make([]<-chan struct{}, 0, len(changed)+1)
		cases = append(cases, changed...)
		if err := waitAny(ctx, cases...); err != nil {
			return rec, nil, fmt.Errorf("%w: %s never reached %s (device %q): %w", ErrExpectation, rec, name, device, err)
		}
	}
}

// waitAny returns when one of chs is closed or ctx ends.
func waitAny(ctx context.Context, chs ...<-chan struct{}) error {
	done := make(chan struct{})
	defer close(done)
	fired := make(chan struct{}, len(chs))
	for _, ch := range chs {
		go func() {
			select {
			case <-ch:
				fired <- struct{}{}
			case <-done:
			}
		}()
	}
	select {
	case <-fired:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func waitRinging(ctx context.Context, w *world, name, device string) (*phone.Call, error) {
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if rp := w.rawOnly(name); rp != nil {
		return nil, rawRings(wctx, rp)
	}
	_, leg, err := waitLeg(wctx, w, name, device)
	if err != nil {
		return nil, err
	}
	if err := leg.WaitRinging(wctx); err != nil {
		return nil, fmt.Errorf("%w: %s does not ring: %w", ErrExpectation, name, err)
	}
	return leg, nil
}

// rawOnly returns the raw endpoint of name if name has no simulated phone.
func (w *world) rawOnly(name string) *rawPhone {
	if len(w.devicesOf(name)) > 0 {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.raws[name]
}

// doesNotRing listens for the whole quietWindow (on the suite's clock) and
// fails if the current call reaches name at any moment of it: an incoming
// call on any of name's simulated devices, or any INVITE at its fixture
// endpoint.
func doesNotRing(ctx context.Context, w *world, name string) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	if rec.callee != name {
		return fmt.Errorf("%w: the current call %s is not to %s", ErrUsage, rec, name)
	}
	rp := w.rawOnly(name)
	if rp == nil && len(w.devicesOf(name)) == 0 {
		return fmt.Errorf("%w: %s has no phone that could ring", ErrUsage, name)
	}
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	window := w.suite.cfg.Clock.After(quietWindow)
	go func() {
		select {
		case <-window:
			cancel()
		case <-qctx.Done():
		}
	}()
	for {
		var changed []<-chan struct{}
		if rp != nil {
			if invs := rp.invites(); len(invs) > 0 {
				return fmt.Errorf("%w: %s received an INVITE from %s", ErrExpectation, name, invs[0].Source())
			}
			in, err := rp.ua.AwaitIncoming(qctx, testua.Method(sip.INVITE))
			if err == nil {
				return fmt.Errorf("%w: %s received an INVITE from %s", ErrExpectation, name, in.Source())
			}
			if ctx.Err() != nil {
				return fmt.Errorf("%w: %s: %w", ErrExpectation, name, ctx.Err())
			}
			return nil // quiet for the whole window
		} else {
			calls, chs := w.legs(rec, "")
			if len(calls) > 0 {
				return fmt.Errorf("%w: %s rang (call from %s)", ErrExpectation, name, calls[0].Remote())
			}
			changed = chs
		}
		if err := waitAny(qctx, changed...); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%w: %s: %w", ErrExpectation, name, ctx.Err())
			}
			return nil // quiet for the whole window
		}
	}
}

func hearsRinging(ctx context.Context, w *world, name string) error {
	rec, err := w.placedBy(name)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if err := rec.out.WaitRinging(wctx); err != nil {
		return fmt.Errorf("%w: %s hears no ringing: %w", ErrExpectation, name, err)
	}
	// a 181 (the call is being forwarded) comes before the ringing: wait
	// for the 180 or 183 itself
	for {
		prov := rec.out.Provisional()
		if slices.Contains(prov, 180) || slices.Contains(prov, 183) {
			return nil
		}
		select {
		case <-wctx.Done():
			return fmt.Errorf("%w: %s got provisional responses %v, want 180 or 183", ErrExpectation, name, prov)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func answer(ctx context.Context, w *world, name, device string) error {
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	rec, leg, err := waitLeg(wctx, w, name, device)
	if err != nil {
		return err
	}
	if err := leg.Answer(wctx); err != nil {
		return fmt.Errorf("%w: %s answers: %w", ErrExpectation, name, err)
	}
	rec.answered = leg
	if rec.out != nil {
		if err := rec.out.WaitAnswer(wctx); err != nil {
			return fmt.Errorf("%w: %s answered but %s did not get the answer: %w", ErrExpectation, name, rec.caller, err)
		}
	}
	return nil
}

func hangUp(ctx context.Context, w *world, name string) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	var leg *phone.Call
	switch name {
	case rec.caller:
		leg = rec.out
	case rec.callee:
		leg = rec.answered
	}
	if leg == nil {
		return fmt.Errorf("%w: %s has no leg of %s to hang up", ErrUsage, name, rec)
	}
	rec.hungUpBy = name
	if err := leg.Hangup(wctx); err != nil {
		return fmt.Errorf("%w: %s hangs up: %w", ErrExpectation, name, err)
	}
	return nil
}

// legOf returns name's leg of the current call between a and b.
// answeredLegs is the call between a and b with a's and b's legs of it,
// an ErrUsage when it is not answered.
func (w *world) answeredLegs(a, b string) (*callRec, *phone.Call, *phone.Call, error) {
	rec, err := w.callBetween(a, b)
	if err != nil {
		return nil, nil, nil, err
	}
	la, lb := legOf(rec, a), legOf(rec, b)
	if la == nil || lb == nil {
		return nil, nil, nil, fmt.Errorf("%w: %s is not answered", ErrUsage, rec)
	}
	return rec, la, lb, nil
}

func legOf(rec *callRec, name string) *phone.Call {
	if name == rec.caller {
		return rec.out
	}
	return rec.answered
}

func hearEachOther(ctx context.Context, w *world, a, b string) error {
	rec, la, lb, err := w.answeredLegs(a, b)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	tw, err := phone.VerifyTwoWay(wctx, la, lb)
	if err != nil {
		return fmt.Errorf("%w: %s: %w (%s heard %s: %v, %d packets in; %s heard %s: %v, %d packets in)",
			ErrExpectation, rec, err, a, tw.A.Expected, tw.A.Heard, tw.A.Stats.PacketsIn, b, tw.B.Expected, tw.B.Heard, tw.B.Stats.PacketsIn)
	}
	return nil
}

// hears checks one direction: a hears b (want true) or, as a negative
// control, does not within quietWindow.
func hears(ctx context.Context, w *world, a, b string, want bool) error {
	rec, err := w.callBetween(a, b)
	if err != nil {
		return err
	}
	leg := legOf(rec, a)
	if leg == nil {
		return fmt.Errorf("%w: %s has no leg of %s", ErrUsage, a, rec)
	}
	d := w.suite.cfg.Wait
	if !want {
		d = quietWindow
	}
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	res, err := leg.TwoWayAudio(wctx)
	switch {
	case want && err != nil:
		return fmt.Errorf("%w: %s does not hear %s: %w", ErrExpectation, a, b, err)
	case !want && err == nil:
		return fmt.Errorf("%w: %s hears %s (%s) although it should not", ErrExpectation, a, b, res.Expected)
	case !want && !errors.Is(err, phone.ErrNotHeard):
		return fmt.Errorf("%w: %s: audio check failed for another reason: %w", ErrExpectation, a, err)
	}
	return nil
}

func receivesEarlyMedia(ctx context.Context, w *world, name string) error {
	rec, err := w.placedBy(name)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if err := rec.out.WaitRinging(wctx); err != nil {
		return fmt.Errorf("%w: %s got no provisional response: %w", ErrExpectation, name, err)
	}
	for !rec.out.EarlyMedia() {
		if err := sleep(wctx, 20*time.Millisecond); err != nil {
			return fmt.Errorf("%w: %s got %v but no 183 with SDP", ErrExpectation, name, rec.out.Provisional())
		}
	}
	if !slices.Contains(rec.out.Provisional(), 183) {
		return fmt.Errorf("%w: %s got %v, want 183", ErrExpectation, name, rec.out.Provisional())
	}
	return nil
}

func hearsEarly(ctx context.Context, w *world, a, b string) error {
	rec, err := w.callBetween(a, b)
	if err != nil {
		return err
	}
	if rec.caller != a || rec.out == nil {
		return fmt.Errorf("%w: %s did not place %s", ErrUsage, a, rec)
	}
	if st := rec.out.State(); st != phone.Early {
		return fmt.Errorf("%w: %s is %s, not ringing", ErrExpectation, rec, st)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if _, err := rec.out.TwoWayAudio(wctx); err != nil {
		return fmt.Errorf("%w: %s does not hear %s before the answer: %w", ErrExpectation, a, b, err)
	}
	if st := rec.out.State(); st != phone.Early {
		return fmt.Errorf("%w: %s became %s during the early media check", ErrExpectation, rec, st)
	}
	return nil
}
