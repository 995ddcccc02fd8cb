package steps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/cucumber/godog"

	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// Call intervention (services.intervention, switch ci, manual ch. 17) and
// the password call service (services.password). "C intervenes in the
// call of A" dials *89*<A>#; "C talks to A while B hears the call-waiting
// music" then checks the audio paths by tone detection (C and A hear each
// other's identity, B hears the music on hold's notes) and makes C–A the
// current call, so "C hangs up" hangs up C's intervention call.
func registerInterventionSteps(sc *godog.ScenarioContext) {
	sc.Given(`^(\d+) has the intervention right$`, step1(func(_ context.Context, w *world, name string) error {
		return withNumber(w, name, func(c *config.Config, n string) {
			c.Services.Intervention.Right = append(c.Services.Intervention.Right, n)
		})
	}))
	sc.Given(`^(\d+) is protected from intervention$`, step1(func(_ context.Context, w *world, name string) error {
		return withNumber(w, name, func(c *config.Config, n string) {
			c.Services.Intervention.Protected = append(c.Services.Intervention.Protected, n)
		})
	}))
	sc.Given(`^(\d+) has the call password (\d+)$`, step2(func(_ context.Context, w *world, name, pin string) error {
		return setPassword(w, name, func(string) string { return pin })
	}))
	sc.Given(`^(\d+) has the call password (\d+), stored hashed$`, step2(func(_ context.Context, w *world, name, pin string) error {
		return setPassword(w, name, func(n string) string {
			sum := sha256.Sum256([]byte(n + ":" + pin))
			return "sha256:" + hex.EncodeToString(sum[:])
		})
	}))
	sc.When(`^(\d+) intervenes in the call of (\d+)$`, step2(func(ctx context.Context, w *world, c, a string) error {
		return dialWithNumber(ctx, w, c, a, func(n string) string { return "*89*" + n + "#" })
	}))
	sc.When(`^(\d+) intervenes in the call of (\d+) with the password (\d+)$`, step3(func(ctx context.Context, w *world, c, a, pin string) error {
		return dialWithNumber(ctx, w, c, a, func(n string) string { return "*89*" + pin + n + "#" })
	}))
	sc.When(`^(\d+) dials the (?:intervention|password) code "([^"]*)"$`, step2(func(ctx context.Context, w *world, caller, code string) error {
		_, err := dial(ctx, w, caller, "", code)
		return err
	}))
	sc.Then(`^(\d+) talks to (\d+) while (\d+) hears the call-waiting music$`, step3(talksWhileMusic))
	sc.When(`^(\d+) leaves the intervention by sending \*89# as DTMF$`, step1(leaveByDTMF))
	sc.When(`^(\d+) leaves the intervention by dialling \*89#$`, step1(func(ctx context.Context, w *world, c string) error {
		_, err := dial(ctx, w, c, "", "*89#")
		return err
	}))
	sc.Then(`^the \*89# call is confirmed$`, step0(confirmedCode))
	sc.Then(`^(\d+)'s intervention call is ended by the PBX$`, step1(func(ctx context.Context, w *world, c string) error {
		ic, err := w.interventionCall(c)
		if err != nil {
			return err
		}
		ic.checked = true
		return legEndedByPBX(ctx, w, c, ic.out)
	}))
	sc.Then(`^(\d+) and (\d+) talk again$`, step2(talkAgain))
	sc.Then(`^the call between (\d+) and (\d+) is ended by the PBX$`, step2(func(ctx context.Context, w *world, a, b string) error {
		rec, err := w.callBetween(a, b)
		if err != nil {
			return err
		}
		rec.checked = true
		for _, name := range []string{a, b} {
			if err := legEndedByPBX(ctx, w, name, legOf(rec, name)); err != nil {
				return err
			}
		}
		return nil
	}))
	sc.When(`^(\d+) hangs up the call with (\d+)$`, step2(func(ctx context.Context, w *world, name, other string) error {
		rec, err := w.callBetween(name, other)
		if err != nil {
			return err
		}
		leg := legOf(rec, name)
		if leg == nil {
			return fmt.Errorf("%w: %s has no leg of %s", ErrUsage, name, rec)
		}
		rec.hungUpBy, rec.checked = name, true
		wctx, cancel := w.waitCtx(ctx)
		defer cancel()
		if err := leg.Hangup(wctx); err != nil {
			return fmt.Errorf("%w: %s hangs up: %w", ErrExpectation, name, err)
		}
		return nil
	}))
	sc.When(`^(\d+) places a password call to (\d+) with the password (\d+)$`, step3(func(ctx context.Context, w *world, caller, callee, pin string) error {
		sub, err := w.subscriber(callee)
		if err != nil {
			return err
		}
		rec, err := dial(ctx, w, caller, callee, "*47*"+pin+"*"+sub.Number+"#")
		if err != nil {
			return err
		}
		id, err := w.identityOf(callee)
		if err != nil {
			return err
		}
		rec.out.ExpectIdentity(id) // the phone would expect the code's
		return nil
	}))
}

// setPassword sets name's call password to what form makes of its number.
func setPassword(w *world, name string, form func(number string) string) error {
	return withNumber(w, name, func(c *config.Config, n string) {
		if c.Services.Password.Passwords == nil {
			c.Services.Password.Passwords = map[string]string{}
		}
		c.Services.Password.Passwords[n] = form(n)
	})
}

// dialWithNumber dials code(number of target) from caller.
func dialWithNumber(ctx context.Context, w *world, caller, target string, code func(string) string) error {
	sub, err := w.subscriber(target)
	if err != nil {
		return err
	}
	_, err = dial(ctx, w, caller, "", code(sub.Number))
	return err
}

// interventionCall is c's latest *89* call.
func (w *world) interventionCall(c string) (*callRec, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.calls) - 1; i >= 0; i-- {
		if r := w.calls[i]; r.caller == c && strings.HasPrefix(r.callee, "*89*") {
			return r, nil
		}
	}
	return nil, fmt.Errorf("%w: %s has not dialled an intervention code", ErrUsage, c)
}

// talksWhileMusic: C's intervention call is answered; C and A hear each
// other (A's leg of the A–B call now carries C); B hears the music.
func talksWhileMusic(ctx context.Context, w *world, c, a, b string) error {
	ic, err := w.interventionCall(c)
	if err != nil {
		return err
	}
	orig, err := w.callBetween(a, b)
	if err != nil {
		return err
	}
	legA, legB := legOf(orig, a), legOf(orig, b)
	if legA == nil || legB == nil {
		return fmt.Errorf("%w: %s is not answered", ErrUsage, orig)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if err := ic.out.WaitAnswer(wctx); err != nil {
		return fmt.Errorf("%w: %s's intervention was not answered: %w (code %d)", ErrExpectation, c, err, ic.out.Code())
	}
	idA, err := w.identityOf(a)
	if err != nil {
		return err
	}
	idC, err := w.identityOf(c)
	if err != nil {
		return err
	}
	ic.out.ExpectIdentity(idA)
	legA.ExpectIdentity(idC)
	ic.checked = true
	w.addCall(&callRec{caller: c, callee: a, out: ic.out, answered: legA, base: map[phoneKey]int{}, checked: true})
	tw, err := phone.VerifyTwoWay(wctx, ic.out, legA)
	if err != nil {
		return fmt.Errorf("%w: %s and %s do not hear each other: %w (%s heard %v, %s heard %v)",
			ErrExpectation, c, a, err, c, tw.A.Heard, a, tw.B.Heard)
	}
	return hearsMusicOn(ctx, w, legB, b, true)
}

// leaveByDTMF: C sends *89# as RFC 4733 telephone-events in its
// intervention call.
func leaveByDTMF(ctx context.Context, w *world, c string) error {
	ic, err := w.interventionCall(c)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	err = ic.out.SendDTMF(wctx, "*89#")
	if err == nil {
		return nil
	}
	// the PBX may end the call on the last digit's end packets, before
	// the phone's sender is through with the digit's gap
	if end, werr := ic.out.Wait(wctx); werr == nil && end.Reason == phone.ReasonBye && end.By == phone.Remote {
		return nil
	}
	return fmt.Errorf("%w: %s sends *89#: %w", ErrExpectation, c, err)
}

// confirmedCode: the current call (a code) was answered and released by
// the PBX (the confirmation tone, then BYE).
func confirmedCode(ctx context.Context, w *world) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	rec.checked = true
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if err := rec.out.WaitAnswer(wctx); err != nil {
		return fmt.Errorf("%w: %s was not answered: %w (code %d)", ErrExpectation, rec, err, rec.out.Code())
	}
	return legEndedByPBX(ctx, w, rec.caller, rec.out)
}

// endedByPBX: leg ended with a BYE from the PBX.
func legEndedByPBX(ctx context.Context, w *world, name string, leg *phone.Call) error {
	if leg == nil {
		return fmt.Errorf("%w: %s has no leg", ErrUsage, name)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	end, err := leg.Wait(wctx)
	if err != nil {
		return fmt.Errorf("%w: %s's leg did not end: %w", ErrExpectation, name, err)
	}
	if end.Reason != phone.ReasonBye || end.By != phone.Remote {
		return fmt.Errorf("%w: %s's leg ended by %s with %s (error %v), want a BYE from the PBX", ErrExpectation, name, end.By, end.Reason, end.Err)
	}
	return nil
}

// talkAgain: after the intervention A and B hear each other again and B
// no longer hears the music.
func talkAgain(ctx context.Context, w *world, a, b string) error {
	orig, err := w.callBetween(a, b)
	if err != nil {
		return err
	}
	legA, legB := legOf(orig, a), legOf(orig, b)
	if legA == nil || legB == nil {
		return fmt.Errorf("%w: %s is not answered", ErrUsage, orig)
	}
	idB, err := w.identityOf(b)
	if err != nil {
		return err
	}
	legA.ExpectIdentity(idB)
	if err := hearEachOther(ctx, w, a, b); err != nil {
		return err
	}
	return hearsMusicOn(ctx, w, legB, b, false)
}
