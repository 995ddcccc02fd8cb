package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"pbxlab/internal/mwi"
	"pbxlab/internal/tone"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// Voicemail and MWI (features/media/voicemail.feature): mailboxes are
// configured per scenario (@in-process); what a mailbox holds is read from
// the in-process PBX (its rows and WAV files), and a WAV's audio is proven
// by tone detection of the depositor's identity. The voicemail menu is
// pbx/internal/voicemail's (1 next, 7 delete, 9 save, 0 greeting).

// beepHz is the beep after the greeting (pbx/internal/voicemail.BeepHz:
// features sees the PBX from outside).
const beepHz = 1000

// talkTime is how long a depositor speaks into the mailbox.
const talkTime = 1500 * time.Millisecond

func registerVoicemailSteps(sc *godog.ScenarioContext) {
	sc.Given(`^(\d+) has a mailbox taking calls on (busy|no answer|busy and no answer)$`, step2(hasMailbox))
	sc.Given(`^the voicemail number is (\d+)$`, step1(func(_ context.Context, w *world, number string) error {
		vm := w.voicemail()
		w.mu.Lock()
		vm.number = number
		w.mu.Unlock()
		return w.configure(func(c *config.Config) error {
			c.Voicemail.Number = number
			return nil
		})
	}))
	sc.When(`^(\d+) calls the voicemail number$`, step1(callVoicemail))
	sc.Then(`^the mailbox answers (\d+) with the beep$`, step1(func(ctx context.Context, w *world, name string) error {
		return mailboxAnswers(ctx, w, name, true)
	}))
	sc.Then(`^the mailbox answers (\d+)$`, step1(func(ctx context.Context, w *world, name string) error {
		return mailboxAnswers(ctx, w, name, false)
	}))
	sc.When(`^(\d+) leaves a message$`, step1(leaveMessage))
	sc.When(`^(\d+) presses ([0-9*#A-D]+)$`, step2(presses))
	sc.Then(`^the mailbox of (\d+) holds (\d+) new messages?$`, step2(holdsNew))
	sc.Then(`^the mailbox of (\d+) is empty$`, step1(func(ctx context.Context, w *world, owner string) error {
		_, err := awaitMessages(ctx, w, owner, func(ms []pbx.VoicemailMessage) bool { return len(ms) == 0 })
		return err
	}))
	sc.Then(`^the message in (\d+)'s mailbox carries (\d+)'s audio and not (\d+)'s$`, step3(messageCarries))
	sc.Then(`^(\d+) hears the message of (\d+)$`, step2(func(ctx context.Context, w *world, name, depositor string) error {
		return hearsMessage(ctx, w, name, depositor, true)
	}))
	sc.Then(`^(\d+) does not hear the message of (\d+)$`, step2(func(ctx context.Context, w *world, name, depositor string) error {
		return hearsMessage(ctx, w, name, depositor, false)
	}))
	sc.When(`^(\d+) subscribes to its message waiting indication$`, step1(subscribeMWI))
	sc.Then(`^(\d+) is notified of (\d+) new and (\d+) old messages?$`, step3(notified))
	sc.Then(`^the call to the mailbox ends normally$`, step0(mailboxCallEnds))
}

// vmScenario is the scenario's voicemail state (world.vm).
type vmScenario struct {
	number string                         // the voicemail number configured
	subs   map[string]*phone.Subscription // MWI subscriptions by scenario number
}

func (w *world) voicemail() *vmScenario {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.vm == nil {
		w.vm = &vmScenario{subs: map[string]*phone.Subscription{}}
	}
	return w.vm
}

func hasMailbox(_ context.Context, w *world, owner, on string) error {
	return w.configure(func(c *config.Config) error {
		return editSubscriber(c, owner, func(s *config.Subscriber) {
			s.Voicemail = config.SubscriberVoicemail{Enabled: true,
				OnBusy: strings.Contains(on, "busy"), OnNoAnswer: strings.Contains(on, "no answer")}
		})
	})
}

// mailboxSession is a session that can show what a mailbox holds (the
// in-process PBX).
type mailboxSession interface {
	voicemailMessages(ctx context.Context, mailbox string) ([]pbx.VoicemailMessage, error)
}

func (s *inProcessSession) voicemailMessages(ctx context.Context, mailbox string) ([]pbx.VoicemailMessage, error) {
	s.mu.Lock()
	inst := s.inst
	s.mu.Unlock()
	if inst == nil {
		return nil, fmt.Errorf("%w: the PBX is not running", ErrUsage)
	}
	return inst.VoicemailMessages(ctx, mailbox)
}

// awaitMessages polls owner's mailbox until ok holds or the wait ends.
func awaitMessages(ctx context.Context, w *world, owner string, ok func([]pbx.VoicemailMessage) bool) ([]pbx.VoicemailMessage, error) {
	ms, isMS := w.sess.(mailboxSession)
	if !isMS {
		return nil, fmt.Errorf("%w: the target does not show mailboxes (tag the scenario @in-process)", ErrUsage)
	}
	sub, err := w.subscriber(owner)
	if err != nil {
		return nil, err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		got, err := ms.voicemailMessages(wctx, sub.Number)
		if err == nil && ok(got) {
			return got, nil
		}
		select {
		case <-tick.C:
		case <-wctx.Done():
			return got, fmt.Errorf("%w: mailbox of %s holds %d messages %+v (error %v)", ErrExpectation, owner, len(got), got, err)
		}
	}
}

func callVoicemail(ctx context.Context, w *world, name string) error {
	vm := w.voicemail()
	w.mu.Lock()
	number := vm.number
	w.mu.Unlock()
	if number == "" {
		return fmt.Errorf("%w: no voicemail number configured (Given the voicemail number is N)", ErrUsage)
	}
	_, err := dial(ctx, w, name, "", number)
	return err
}

// callerLeg is the caller's leg of the current call, which the mailbox
// answered.
func callerLeg(w *world) (*callRec, *phone.Call, error) {
	rec, err := w.currentCall()
	if err != nil {
		return nil, nil, err
	}
	if rec.out == nil {
		return nil, nil, fmt.Errorf("%w: %s was not placed by a phone", ErrUsage, rec)
	}
	return rec, rec.out, nil
}

// mailboxAnswers waits until the PBX itself (no phone) answers name's
// call, and with beep until name hears the beep after the greeting.
func mailboxAnswers(ctx context.Context, w *world, name string, beep bool) error {
	rec, leg, err := callerLeg(w)
	if err != nil {
		return err
	}
	if rec.caller != name {
		return fmt.Errorf("%w: %s did not place %s", ErrUsage, name, rec)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if err := leg.WaitAnswer(wctx); err != nil {
		return fmt.Errorf("%w: nobody answered %s: %w (code %d)", ErrExpectation, rec, err, leg.Code())
	}
	if rec.answered != nil {
		return fmt.Errorf("%w: a phone answered %s, not the mailbox", ErrExpectation, rec)
	}
	if !beep {
		return nil
	}
	// the greeting (5 s) then the beep: within the wait plus the greeting
	bctx, bcancel := context.WithTimeout(ctx, w.suite.cfg.Wait+5*time.Second)
	defer bcancel()
	if _, err := leg.Listen(bctx, phone.SingleTone(beepHz)); err != nil {
		return fmt.Errorf("%w: %s hears no beep: %w", ErrExpectation, name, err)
	}
	return nil
}

// leaveMessage: the depositor talks (its identity) for talkTime after the
// beep, then hangs up.
func leaveMessage(ctx context.Context, w *world, name string) error {
	rec, leg, err := callerLeg(w)
	if err != nil {
		return err
	}
	select {
	case <-time.After(talkTime):
	case <-ctx.Done():
		return ctx.Err()
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	rec.hungUpBy = name
	if err := leg.Hangup(wctx); err != nil {
		return fmt.Errorf("%w: %s hangs up: %w", ErrExpectation, name, err)
	}
	return mailboxCallEnds(ctx, w)
}

// mailboxCallEnds checks that the caller's call with the mailbox ended
// with a BYE (by whoever the scenario says hung up).
func mailboxCallEnds(ctx context.Context, w *world) error {
	rec, leg, err := callerLeg(w)
	if err != nil {
		return err
	}
	rec.checked = true
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	end, err := leg.Wait(wctx)
	if err != nil {
		return fmt.Errorf("%w: %s did not end: %w", ErrExpectation, rec, err)
	}
	want := phone.Remote
	if rec.hungUpBy == rec.caller {
		want = phone.Local
	}
	if end.Reason != phone.ReasonBye || end.By != want || end.Err != nil {
		return fmt.Errorf("%w: %s ended by %s with %s (error %v), want a BYE by %s", ErrExpectation, rec, end.By, end.Reason, end.Err, want)
	}
	return nil
}

func presses(ctx context.Context, w *world, name, digits string) error {
	rec, leg, err := callerLeg(w)
	if err != nil {
		return err
	}
	if rec.caller != name {
		return fmt.Errorf("%w: %s is not the caller of %s", ErrUsage, name, rec)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	// right after the answer the phone's sender may not run yet: SendDTMF
	// needs it
	for leg.MediaStats().PacketsOut == 0 {
		select {
		case <-wctx.Done():
			return fmt.Errorf("%w: %s sends no audio", ErrExpectation, name)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := leg.SendDTMF(wctx, digits); err != nil {
		return fmt.Errorf("%w: %s presses %s: %w", ErrExpectation, name, digits, err)
	}
	return nil
}

func holdsNew(ctx context.Context, w *world, owner string, n int) error {
	_, err := awaitMessages(ctx, w, owner, func(ms []pbx.VoicemailMessage) bool {
		fresh := 0
		for _, m := range ms {
			if m.New {
				fresh++
			}
		}
		return fresh == n
	})
	return err
}

// messageCarries reads the newest message of depositor in owner's mailbox
// and wants depositor's identity in it and not other's.
func messageCarries(ctx context.Context, w *world, owner, depositor, other string) error {
	dep, err := w.subscriber(depositor)
	if err != nil {
		return err
	}
	ms, err := awaitMessages(ctx, w, owner, func(ms []pbx.VoicemailMessage) bool {
		for _, m := range ms {
			if m.Caller == dep.Number {
				return true
			}
		}
		return false
	})
	if err != nil {
		return err
	}
	var msg pbx.VoicemailMessage
	for _, m := range ms {
		if m.Caller == dep.Number {
			msg = m
		}
	}
	samples, err := pbx.ReadRecording(msg.Path)
	if err != nil {
		return fmt.Errorf("%w: message %s: %w", ErrExpectation, msg.Path, err)
	}
	want, err := w.identityOf(depositor)
	if err != nil {
		return err
	}
	not, err := w.identityOf(other)
	if err != nil {
		return err
	}
	if !carries(samples, want) {
		return fmt.Errorf("%w: the message (%s) does not carry %s's audio %s", ErrExpectation, msg.Duration, depositor, want)
	}
	if carries(samples, not) {
		return fmt.Errorf("%w: the message carries %s's audio %s", ErrExpectation, other, not)
	}
	return nil
}

// carries reports whether a 200 ms block of samples holds id.
func carries(samples []int16, id phone.Identity) bool {
	det := tone.NewDetector(tone.Config{Freqs: id.Freqs()})
	const block = 1600
	for i := 0; i+block <= len(samples); i += block / 2 {
		if det.Analyse(samples[i : i+block]).Present {
			return true
		}
	}
	return false
}

// hearsMessage checks that name, in its call with the mailbox, hears
// depositor's audio (want), or does not for the quiet window.
func hearsMessage(ctx context.Context, w *world, name, depositor string, want bool) error {
	_, leg, err := callerLeg(w)
	if err != nil {
		return err
	}
	id, err := w.identityOf(depositor)
	if err != nil {
		return err
	}
	d := w.suite.cfg.Wait
	if !want {
		d = quietWindow
	}
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	_, err = leg.Listen(wctx, id)
	switch {
	case want && err != nil:
		return fmt.Errorf("%w: %s does not hear %s's message: %w", ErrExpectation, name, depositor, err)
	case !want && err == nil:
		return fmt.Errorf("%w: %s hears %s's message although it should not", ErrExpectation, name, depositor)
	case !want && !errors.Is(err, phone.ErrNotHeard):
		return fmt.Errorf("%w: %s: audio check failed for another reason: %w", ErrExpectation, name, err)
	}
	return nil
}

func subscribeMWI(ctx context.Context, w *world, name string) error {
	sp, err := w.simPhoneOf(name, "")
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	s, err := sp.p.Subscribe(wctx, mwi.Event)
	if err != nil {
		return fmt.Errorf("%w: %s subscribes to message-summary: %w", ErrExpectation, name, err)
	}
	vm := w.voicemail()
	w.mu.Lock()
	vm.subs[name] = s
	w.mu.Unlock()
	return nil
}

func notified(ctx context.Context, w *world, name string, newN, oldN int) error {
	w.mu.Lock()
	var s *phone.Subscription
	if w.vm != nil {
		s = w.vm.subs[name]
	}
	w.mu.Unlock()
	if s == nil {
		return fmt.Errorf("%w: %s has not subscribed", ErrUsage, name)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	_, err := s.WaitNotify(wctx, func(n phone.Notify) bool {
		v := n.Summary
		return n.SummaryErr == nil && v.HasVoice && v.Voice.New == newN && v.Voice.Old == oldN && v.Waiting == (newN > 0) && !n.Terminated()
	})
	if err != nil {
		var got []string
		for _, n := range s.Notifies() {
			got = append(got, fmt.Sprintf("%+v (%s)", n.Summary.Voice, n.State))
		}
		return fmt.Errorf("%w: %s was not notified of %d new and %d old messages (got %v): %w", ErrExpectation, name, newN, oldN, got, err)
	}
	return nil
}
