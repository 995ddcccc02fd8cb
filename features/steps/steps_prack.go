package steps

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cucumber/godog"
	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/rel100"
	"pbxlab/sim/phone"
)

// registerPrackSteps: reliable provisional responses (RFC 3262,
// features/sip/prack.feature), from the phones' side.
func registerPrackSteps(sc *godog.ScenarioContext) {
	sc.Given(`^(\d+) requires 100rel$`, step1(func(_ context.Context, w *world, name string) error {
		return setRel100(w, name, phone.Rel100Required)
	}))
	sc.Given(`^(\d+) supports 100rel$`, step1(func(_ context.Context, w *world, name string) error {
		return setRel100(w, name, phone.Rel100Supported)
	}))
	sc.Then(`^(\d+) receives a reliable 183 and acknowledges it$`, step1(receivesReliable183))
	sc.Then(`^(\d+)'s reliable 183 is acknowledged$`, step1(reliable183Acknowledged))
	sc.Then(`^an UPDATE from (\d+) before the answer is answered (\d+)$`, step2(earlyUpdate))
	sc.Then(`^a PRACK from (\d+) naming another (RSeq|request) is answered (\d+)$`, func(ctx context.Context, name, what string, code int) error {
		w, err := stepWorld(ctx)
		if err != nil {
			return err
		}
		return badPrack(ctx, w, name, what, code)
	})
}

func setRel100(w *world, name string, m phone.Rel100) error {
	ds := w.devicesOf(name)
	if len(ds) == 0 {
		return fmt.Errorf("%w: no phone %s (register it first)", ErrUsage, name)
	}
	for _, sp := range ds {
		sp.p.SetRel100(m)
	}
	return nil
}

// receivesReliable183 waits until the caller's call took a reliable 183
// (Require: 100rel, RSeq) and sent its PRACK.
func receivesReliable183(ctx context.Context, w *world, name string) error {
	rec, err := w.placedBy(name)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	// acknowledged: its PRACK answered 2xx, so that a probe PRACK sent next
	// cannot overtake it (a PRACK with a lower CSeq than one already seen
	// gets 500, RFC 3261 §12.2.2, and the 183 would stay unacknowledged)
	for !slices.Contains(rec.out.ReliableProvisional(), 183) || rec.out.PRACKsAnswered() == 0 {
		if err := sleep(wctx, 20*time.Millisecond); err != nil {
			return fmt.Errorf("%w: %s got %v, %v of them reliably: no reliable 183 acknowledged", ErrExpectation,
				name, rec.out.Provisional(), rec.out.ReliableProvisional())
		}
	}
	return nil
}

// reliable183Acknowledged waits until the callee's incoming call got the
// PRACK of the 183 it sent reliably.
func reliable183Acknowledged(ctx context.Context, w *world, name string) error {
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	_, in, err := waitLeg(wctx, w, name, "")
	if err != nil {
		return err
	}
	for in.PRACKs() == 0 {
		if err := sleep(wctx, 20*time.Millisecond); err != nil {
			return fmt.Errorf("%w: %s's reliable 183 got no PRACK", ErrExpectation, name)
		}
	}
	return nil
}

// badPrack sends a PRACK on the caller's call whose RAck names another RSeq
// or another request (CSeq method), and wants code for it.
func badPrack(ctx context.Context, w *world, name, what string, code int) error {
	rec, err := w.placedBy(name)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	got, err := rec.out.SendPRACK(wctx, func(r *rel100.RAck) {
		if what == "RSeq" {
			r.RSeq++
		} else {
			r.Method = sip.UPDATE
		}
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrExpectation, err)
	}
	if got != code {
		return fmt.Errorf("%w: PRACK naming another %s answered %d, want %d", ErrExpectation, what, got, code)
	}
	return nil
}

// earlyUpdate sends an UPDATE with an offer in the caller's early dialog
// (RFC 3311) and wants code for it.
func earlyUpdate(ctx context.Context, w *world, name string, code int) error {
	rec, err := w.placedBy(name)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	got, err := rec.out.EarlyUpdate(wctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrExpectation, err)
	}
	if got != code {
		return fmt.Errorf("%w: early UPDATE answered %d, want %d", ErrExpectation, got, code)
	}
	return nil
}
