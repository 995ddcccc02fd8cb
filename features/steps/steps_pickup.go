package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/cucumber/godog"
	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// Call pickup (services.pickup, manual ch. 16): a subscriber with the
// pickup right dials *8*<num># (directed) or *8# (its pickup group) and
// takes a call that rings someone else. "X picks up ..." places the
// pickup call (its outcome: "X takes the call of A to B" or "the call
// fails with <code>"); "X takes the call of A to B" then makes A–X the
// current call, so "A and X hear each other", "X hangs up" and "the call
// ends normally" apply to it.
func registerPickupSteps(sc *godog.ScenarioContext) {
	sc.Given(`^pickup group "([^"]+)" has (\d+(?:, \d+)*)$`, step2(func(_ context.Context, w *world, name, members string) error {
		g := config.PickupGroup{Name: name}
		for _, m := range strings.Split(members, ", ") {
			sub, err := w.subscriber(m)
			if err != nil {
				return err
			}
			g.Members = append(g.Members, sub.Number)
		}
		return w.configure(func(c *config.Config) error {
			c.Services.Pickup.Groups = append(c.Services.Pickup.Groups, g)
			return nil
		})
	}))
	sc.Given(`^(\d+) has the pickup right$`, step1(func(_ context.Context, w *world, name string) error {
		return withNumber(w, name, func(c *config.Config, n string) { c.Services.Pickup.Right = append(c.Services.Pickup.Right, n) })
	}))
	sc.When(`^(\d+) picks up the call ringing (\d+)$`, step2(func(ctx context.Context, w *world, picker, name string) error {
		sub, err := w.subscriber(name)
		if err != nil {
			return err
		}
		_, err = dial(ctx, w, picker, "", "*8*"+sub.Number+"#")
		return err
	}))
	sc.When(`^(\d+) picks up the call ringing in its pickup group$`, step1(func(ctx context.Context, w *world, picker string) error {
		_, err := dial(ctx, w, picker, "", "*8#")
		return err
	}))
	sc.When(`^(\d+) dials the pickup code "(\*8[^"]*)"$`, step2(func(ctx context.Context, w *world, picker, code string) error {
		_, err := dial(ctx, w, picker, "", code)
		return err
	}))
	sc.Then(`^(\d+) takes the call of (\d+) to (\d+)$`, step3(takesCall))
	sc.Then(`^(\d+) stops ringing, the call completed elsewhere$`, step1(stopsRingingElsewhere))
	sc.Then(`^(\d+) still rings and answers the call of (\d+)$`, step2(stillRings))
}

// pickupCall is picker's latest pickup call.
func (w *world) pickupCall(picker string) (*callRec, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.calls) - 1; i >= 0; i-- {
		if c := w.calls[i]; c.caller == picker && strings.HasPrefix(c.callee, "*8") {
			return c, nil
		}
	}
	return nil, fmt.Errorf("%w: %s has not dialled a pickup code", ErrUsage, picker)
}

// takesCall: the picker's pickup call and the caller's call are both
// answered; the two ends are recorded as the call between caller and
// picker.
func takesCall(ctx context.Context, w *world, picker, caller, callee string) error {
	p, err := w.pickupCall(picker)
	if err != nil {
		return err
	}
	orig, err := w.callBetween(caller, callee)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if err := p.out.WaitAnswer(wctx); err != nil {
		return fmt.Errorf("%w: %s's pickup was not answered: %w (code %d)", ErrExpectation, picker, err, p.out.Code())
	}
	if err := orig.out.WaitAnswer(wctx); err != nil {
		return fmt.Errorf("%w: %s's call was not answered by the pickup: %w (code %d)", ErrExpectation, caller, err, orig.out.Code())
	}
	p.checked, orig.checked = true, true
	for _, x := range []struct {
		leg  *phone.Call
		hear string
	}{{orig.out, picker}, {p.out, caller}} {
		id, err := w.identityOf(x.hear)
		if err != nil {
			return err
		}
		x.leg.ExpectIdentity(id)
	}
	w.addCall(&callRec{caller: caller, callee: picker, out: orig.out, answered: p.out, base: map[phoneKey]int{}})
	return nil
}

// ringingCallOf is the latest call that rang name.
func (w *world) ringingCallOf(name string) (*callRec, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.calls) - 1; i >= 0; i-- {
		if c := w.calls[i]; c.callee == name {
			return c, nil
		}
	}
	return nil, fmt.Errorf("%w: no call to %s", ErrUsage, name)
}

// stopsRingingElsewhere: every leg that rang name was CANCELled by the
// PBX, the CANCEL carrying Reason: SIP ;cause=200 ;text="Call completed
// elsewhere" (RFC 3326).
func stopsRingingElsewhere(ctx context.Context, w *world, name string) error {
	rec, err := w.ringingCallOf(name)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	calls, _ := w.legs(rec, "")
	if len(calls) == 0 {
		return fmt.Errorf("%w: %s never rang", ErrExpectation, name)
	}
	for _, leg := range calls {
		if err := releasedByPBX(wctx, leg); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrExpectation, name, err)
		}
		m, err := w.awaitWire(wctx, "CANCEL to "+name, func(msgs []wireMessage) (wireMessage, bool) {
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
		var got []string
		found := false
		for _, h := range m.Msg.(*sip.Request).GetHeaders("Reason") {
			got = append(got, h.Value())
			found = found || (headerMatches(h.Value(), "SIP ;cause=200") && strings.Contains(h.Value(), `text="Call completed elsewhere"`))
		}
		if !found {
			return fmt.Errorf("%w: CANCEL to %s has Reason %q, want SIP ;cause=200 ;text=\"Call completed elsewhere\"", ErrExpectation, name, got)
		}
	}
	return nil
}

// stillRings: after a refused pickup, name still rings; it answers and
// the caller is connected, then hangs up.
func stillRings(ctx context.Context, w *world, name, caller string) error {
	rec, err := w.ringingCallOf(name)
	if err != nil {
		return err
	}
	if rec.caller != caller {
		return fmt.Errorf("%w: the call ringing %s is from %s, not %s", ErrUsage, name, rec.caller, caller)
	}
	calls, _ := w.legs(rec, "")
	if len(calls) == 0 || calls[0].State() != phone.Early {
		return fmt.Errorf("%w: %s does not ring any more", ErrExpectation, name)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if err := calls[0].Answer(wctx); err != nil {
		return fmt.Errorf("%w: %s answers: %w", ErrExpectation, name, err)
	}
	if err := rec.out.WaitAnswer(wctx); err != nil {
		return fmt.Errorf("%w: %s's call not answered by %s: %w", ErrExpectation, caller, name, err)
	}
	rec.checked = true
	if err := rec.out.Hangup(wctx); err != nil {
		return fmt.Errorf("%w: %s hangs up: %w", ErrExpectation, caller, err)
	}
	return nil
}
