package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/cucumber/godog"
	"github.com/icholy/digest"

	"pbxlab/internal/testua"
)

// registerRawSteps: requests sent byte for byte from fixtures.
func registerRawSteps(sc *godog.ScenarioContext) {
	sc.When(`^an INVITE from (\d+) to (\d+) arrives without credentials$`, step2(func(ctx context.Context, w *world, a, b string) error {
		return sendRawInvite(ctx, w, a, b, "invite-no-credentials.sip")
	}))
	sc.When(`^an INVITE from (\d+) to (\d+) arrives with Max-Forwards 0$`, step2(func(ctx context.Context, w *world, a, b string) error {
		return sendRawInvite(ctx, w, a, b, "invite-max-forwards-0.sip")
	}))
	sc.Then(`^the PBX answers (\d+) [A-Za-z ]+$`, step1(func(_ context.Context, w *world, code int) error {
		rec, err := w.currentCall()
		if err != nil {
			return err
		}
		rec.checked = true
		return rawAnswered(rec, code)
	}))
	sc.Then(`^the answer carries a digest challenge$`, step0(digestChallenge))
	sc.When(`^(\d+) declines the call$`, step1(func(ctx context.Context, w *world, name string) error {
		w.mu.Lock()
		rp := w.raws[name]
		w.mu.Unlock()
		if rp == nil {
			return fmt.Errorf("%w: %s is not played by a fixture endpoint", ErrUsage, name)
		}
		wctx, cancel := w.waitCtx(ctx)
		defer cancel()
		return rp.decline(wctx, 486, "Busy Here")
	}))
	sc.Then(`^(\d+) rings at the address its REGISTER came from$`, step1(func(ctx context.Context, w *world, name string) error {
		w.mu.Lock()
		rp := w.raws[name]
		w.mu.Unlock()
		if rp == nil || !rp.registered {
			return fmt.Errorf("%w: %s has no fixture registration", ErrUsage, name)
		}
		wctx, cancel := w.waitCtx(ctx)
		defer cancel()
		return rawRings(wctx, rp)
	}))
}

// sendRawInvite sends an INVITE fixture from a's raw endpoint to b and waits
// for its final response (a non-2xx is ACKed by testua).
func sendRawInvite(ctx context.Context, w *world, a, b, fixture string) error {
	callee, err := w.subscriber(b)
	if err != nil {
		return err
	}
	return sendRawInviteTo(ctx, w, a, b, callee.Number, fixture)
}

// sendRawInviteTo sends an INVITE fixture from a's raw endpoint to number
// (the scenario's callee b: a subscriber, or an outside number).
func sendRawInviteTo(ctx context.Context, w *world, a, b, number, fixture string) error {
	rp, err := w.rawPhoneOf(ctx, a)
	if err != nil {
		return err
	}
	wire, _, err := render(fixture, w.inviteData(rp, number))
	if err != nil {
		return err
	}
	rec := w.newRawCall(a, b)
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	res, err := rp.transact(wctx, wire)
	rec.raw = &res
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrExpectation, rec, err)
	}
	return nil
}

func rawAnswered(rec *callRec, code int) error {
	if rec.raw == nil || rec.raw.Final == nil {
		return fmt.Errorf("%w: %s got no final response", ErrExpectation, rec)
	}
	if got := rec.raw.Final.StatusCode; got != code {
		return fmt.Errorf("%w: %s: want %d, got %d %s", ErrExpectation, rec, code, got, rec.raw.Final.Reason)
	}
	return nil
}

func digestChallenge(_ context.Context, w *world) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	if rec.raw == nil || rec.raw.Final == nil {
		return fmt.Errorf("%w: %s got no final response", ErrExpectation, rec)
	}
	res := rec.raw.Final
	name := "Proxy-Authenticate"
	if res.StatusCode == 401 {
		name = "WWW-Authenticate"
	}
	hs := res.GetHeaders(name)
	if len(hs) == 0 {
		return fmt.Errorf("%w: %d without %s", ErrExpectation, res.StatusCode, name)
	}
	for _, h := range hs {
		c, err := digest.ParseChallenge(h.Value())
		if err != nil {
			return fmt.Errorf("%w: %s %q: %w", ErrExpectation, name, h.Value(), err)
		}
		if c.Realm == "" || c.Nonce == "" || !digest.CanDigest(c) {
			return fmt.Errorf("%w: %s %q is not a usable digest challenge", ErrExpectation, name, h.Value())
		}
	}
	return nil
}

// rawRings waits for an INVITE at the raw endpoint's socket.
func rawRings(ctx context.Context, rp *rawPhone) error {
	if err := rp.ua.Until(ctx, func() bool { return len(rp.invites()) > 0 }); err != nil {
		return fmt.Errorf("%w: no INVITE reached %s at %s: %w", ErrExpectation, rp.name, rp.ua.Local(), err)
	}
	return nil
}

// rawCancelled waits until the PBX cancelled the INVITE it sent to the raw endpoint.
func rawCancelled(ctx context.Context, rp *rawPhone) error {
	if len(rp.invites()) == 0 {
		return fmt.Errorf("%w: %s never rang", ErrExpectation, rp.name)
	}
	cancelled := func() bool {
		invs := rp.invites()
		return invs[len(invs)-1].Cancel() != nil
	}
	if err := rp.ua.Until(ctx, cancelled); err != nil {
		return fmt.Errorf("%w: %s was not cancelled at %s: %w", ErrExpectation, rp.name, rp.ua.Local(), err)
	}
	return nil
}

// inviteData is the fixture data of a new INVITE from rp's raw endpoint to
// number: a new dialog (Call-ID, From tag, branch), CSeq 1.
func (w *world) inviteData(rp *rawPhone, number string) fixtureData {
	return fixtureData{
		Transport: strings.ToUpper(w.ep.Transport),
		SentBy:    rp.ua.Local().String(),
		Branch:    testua.NewBranch(),
		Domain:    w.ep.Domain,
		User:      rp.sub.Number,
		Callee:    number,
		FromTag:   testua.NewTag(),
		CallID:    testua.NewTag() + testua.NewTag(),
		CSeq:      1,
		Contact:   fmt.Sprintf("<sip:%s@%s%s>", rp.sub.Number, rp.ua.Local(), transportParam(w.ep.Transport)),
	}
}

// newRawCall records a call from a's raw endpoint to b as the current call,
// b's rings counted from now.
func (w *world) newRawCall(a, b string) *callRec {
	rec := &callRec{caller: a, callee: b, base: map[phoneKey]int{}}
	for _, dev := range w.devicesOf(b) {
		rec.base[dev.key] = dev.incomingCount()
	}
	w.addCall(rec)
	return rec
}
