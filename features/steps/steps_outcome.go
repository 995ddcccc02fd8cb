package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/cucumber/godog"
	"github.com/emiago/sipgo/sip"

	"pbxlab/sim/phone"
)

// registerOutcomeSteps: the steps that assert how a call ended (the only
// ones that satisfy the after-scenario check) and the redirect.
func registerOutcomeSteps(sc *godog.ScenarioContext) {
	sc.Then(`^the call ends normally$`, step0(callEndsNormally))
	sc.Then(`^the call fails with (\d+)$`, step1(func(ctx context.Context, w *world, code int) error {
		rec, err := w.currentCall()
		if err != nil {
			return err
		}
		return callFails(ctx, w, rec, code)
	}))
	sc.Then(`^(\d+) stops ringing$`, step1(stopsRinging))
	sc.Then(`^the call to (\d+) on device "([^"]+)" is cancelled with "([^"]+)"$`, step3(cancelledWith))
	sc.Then(`^(\d+) can reach (\d+)$`, step2(canReach))
	sc.Then(`^a call from (\d+) to (\d+) fails with (\d+)$`, step3(func(ctx context.Context, w *world, a, b string, code int) error {
		rec, err := dial(ctx, w, a, b, "")
		if err != nil {
			return err
		}
		return callFails(ctx, w, rec, code)
	}))
	sc.Then(`^the call is redirected with (\d+) to (\d+)'s registered contact$`, step2(redirected))
	sc.When(`^(\d+) follows the redirect$`, step1(followRedirect))
}

func callEndsNormally(ctx context.Context, w *world) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	rec.checked = true
	if rec.out == nil || rec.answered == nil {
		return fmt.Errorf("%w: %s was never answered", ErrExpectation, rec)
	}
	if rec.hungUpBy == "" {
		return fmt.Errorf("%w: nobody hung up %s", ErrUsage, rec)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	legs := []struct {
		name string
		c    *phone.Call
	}{{rec.caller, rec.out}, {rec.callee, rec.answered}}
	for _, l := range legs {
		end, err := l.c.Wait(wctx)
		if err != nil {
			return fmt.Errorf("%w: %s's leg of %s did not end: %w", ErrExpectation, l.name, rec, err)
		}
		want := phone.Remote
		if l.name == rec.hungUpBy {
			want = phone.Local
		}
		if end.Reason != phone.ReasonBye || end.By != want || end.Err != nil {
			return fmt.Errorf("%w: %s's leg of %s ended by %s with %s (error %v), want a BYE by %s",
				ErrExpectation, l.name, rec, end.By, end.Reason, end.Err, want)
		}
	}
	return nil
}

// callFails checks the final status the caller got and that every leg the
// PBX opened towards the callee was released.
func callFails(ctx context.Context, w *world, rec *callRec, code int) error {
	rec.checked = true
	if rec.raw != nil {
		return rawAnswered(rec, code)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	err := rec.out.WaitAnswer(wctx)
	got := phone.StatusCode(err)
	if err == nil {
		return fmt.Errorf("%w: %s was answered, want %d", ErrExpectation, rec, code)
	}
	if got == 0 && code == 487 {
		// The caller's own CANCEL may end its wait before the 487 arrives:
		// look for the 487 on the wire instead.
		if _, cerr := w.awaitWire(wctx, "487 for "+rec.String(), finalFor(rec.out.CallID(), 487)); cerr == nil {
			got = 487
		}
	}
	if got != code {
		return fmt.Errorf("%w: %s: want %d, got %d (%v)", ErrExpectation, rec, code, got, err)
	}
	calls, _ := w.legs(rec, "")
	for _, c := range calls {
		if _, err := c.Wait(wctx); err != nil {
			return fmt.Errorf("%w: %s failed with %d but %s is still ringing: %w", ErrExpectation, rec, code, rec.callee, err)
		}
	}
	return nil
}

// finalFor finds a response with the Call-ID and status.
func finalFor(callID string, code int) func([]wireMessage) (wireMessage, bool) {
	return func(msgs []wireMessage) (wireMessage, bool) {
		for _, m := range msgs {
			if res, ok := m.Msg.(*sip.Response); ok && res.StatusCode == code && res.CallID() != nil && res.CallID().Value() == callID {
				return m, true
			}
		}
		return wireMessage{}, false
	}
}

func stopsRinging(ctx context.Context, w *world, name string) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if rp := w.rawOnly(name); rp != nil {
		return rawCancelled(wctx, rp)
	}
	calls, _ := w.legs(rec, "")
	if len(calls) == 0 {
		return fmt.Errorf("%w: %s never rang in %s", ErrExpectation, name, rec)
	}
	for _, c := range calls {
		if err := releasedByPBX(wctx, c); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrExpectation, name, err)
		}
	}
	return nil
}

// releasedByPBX checks that an unanswered incoming leg was ended by the far
// end (CANCEL), not by the phone.
func releasedByPBX(ctx context.Context, c *phone.Call) error {
	end, err := c.Wait(ctx)
	if err != nil {
		return fmt.Errorf("still ringing: %w", err)
	}
	if end.By != phone.Remote || end.Reason != phone.ReasonCancel {
		return fmt.Errorf("leg ended by %s with %s (code %d), want a CANCEL from the PBX", end.By, end.Reason, end.Code)
	}
	return nil
}

func cancelledWith(ctx context.Context, w *world, name, device, header string) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	if _, err := w.simPhoneOf(name, device); err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	calls, _ := w.legs(rec, device)
	if len(calls) == 0 {
		return fmt.Errorf("%w: %s never rang on device %q", ErrExpectation, name, device)
	}
	leg := calls[0]
	if err := releasedByPBX(wctx, leg); err != nil {
		return fmt.Errorf("%w: %s on device %q: %w", ErrExpectation, name, device, err)
	}
	hname, want, ok := strings.Cut(header, ":")
	if !ok {
		return fmt.Errorf("%w: %q is not a header", ErrUsage, header)
	}
	// The leg's Call-ID is the PBX's B-leg towards that device only.
	m, err := w.awaitWire(wctx, "CANCEL to "+name+" on device "+device, func(msgs []wireMessage) (wireMessage, bool) {
		for _, m := range msgs {
			if req, ok := m.Msg.(*sip.Request); ok && req.Method == sip.CANCEL && req.CallID() != nil && req.CallID().Value() == leg.CallID() {
				return m, true
			}
		}
		return wireMessage{}, false
	})
	if err != nil {
		return err
	}
	req := m.Msg.(*sip.Request)
	for _, h := range req.GetHeaders(strings.TrimSpace(hname)) {
		if headerMatches(h.Value(), want) {
			return nil
		}
	}
	got := []string{}
	for _, h := range req.GetHeaders(strings.TrimSpace(hname)) {
		got = append(got, h.Value())
	}
	return fmt.Errorf("%w: CANCEL to %s on device %q has %s %q, want %q", ErrExpectation, name, device, hname, got, want)
}

// headerMatches compares a header value of the form token *(;param) with
// an expected one: same first token, and every expected parameter present
// with the same value (quotes and spaces around ';' and '=' ignored).
func headerMatches(actual, expected string) bool {
	split := func(s string) (string, map[string]string) {
		parts := strings.Split(s, ";")
		params := map[string]string{}
		for _, p := range parts[1:] {
			k, v, _ := strings.Cut(p, "=")
			params[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(v), `"`)
		}
		return strings.TrimSpace(parts[0]), params
	}
	at, ap := split(actual)
	et, ep := split(expected)
	if !strings.EqualFold(at, et) {
		return false
	}
	for k, v := range ep {
		if got, ok := ap[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// canReach: a calls b, b rings and answers, a hangs up; the call must end
// cleanly with BYE.
func canReach(ctx context.Context, w *world, a, b string) error {
	rec, err := dial(ctx, w, a, b, "")
	if err != nil {
		return err
	}
	if _, err := waitRinging(ctx, w, b, ""); err != nil {
		rec.checked = true
		return err
	}
	if err := answer(ctx, w, b, ""); err != nil {
		rec.checked = true
		return err
	}
	if err := hangUp(ctx, w, a); err != nil {
		rec.checked = true
		return err
	}
	return callEndsNormally(ctx, w)
}

func redirected(ctx context.Context, w *world, code int, name string) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	rec.checked = true
	sp, err := w.simPhoneOf(name, "")
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if got := phone.StatusCode(rec.out.WaitAnswer(wctx)); got != code {
		return fmt.Errorf("%w: %s: want %d, got %d", ErrExpectation, rec, code, got)
	}
	var want sip.Uri
	if err := sip.ParseUri(sp.p.Contact(), &want); err != nil {
		return fmt.Errorf("%w: parse %s's contact: %w", ErrUsage, name, err)
	}
	// The manual: 100 Trying, then the 3xx whose Contact is the callee's
	// registered location.
	m, err := w.awaitWire(wctx, fmt.Sprintf("100 then %d for %s", code, rec), func(msgs []wireMessage) (wireMessage, bool) {
		trying := false
		for _, m := range msgs {
			res, ok := m.Msg.(*sip.Response)
			if !ok || res.CallID() == nil || res.CallID().Value() != rec.out.CallID() {
				continue
			}
			trying = trying || res.StatusCode == 100
			if res.StatusCode == code && trying {
				return m, true
			}
		}
		return wireMessage{}, false
	})
	if err != nil {
		return err
	}
	res := m.Msg.(*sip.Response)
	ct := res.Contact()
	if ct == nil {
		return fmt.Errorf("%w: %d has no Contact", ErrExpectation, code)
	}
	got := ct.Address
	if got.User != want.User || got.Host != want.Host || got.Port != want.Port {
		return fmt.Errorf("%w: %d Contact is %s, want %s's registered contact %s", ErrExpectation, code, got.String(), name, want.String())
	}
	rec.redirect = got.String()
	return nil
}

func followRedirect(ctx context.Context, w *world, name string) error {
	prev, err := w.currentCall()
	if err != nil {
		return err
	}
	if prev.caller != name || prev.redirect == "" {
		return fmt.Errorf("%w: %s was not redirected", ErrUsage, name)
	}
	sp, err := w.simPhoneOf(name, "")
	if err != nil {
		return err
	}
	rec := &callRec{caller: name, callee: prev.callee, base: map[phoneKey]int{}}
	for _, d := range w.devicesOf(prev.callee) {
		rec.base[d.key] = d.incomingCount()
	}
	dctx, cancel := w.waitCtx(ctx)
	defer cancel()
	c, err := sp.p.DialURI(dctx, prev.redirect)
	if err != nil {
		return fmt.Errorf("%w: %s calls %s: %w", ErrExpectation, name, prev.redirect, err)
	}
	rec.out = c
	w.addCall(rec)
	return nil
}
