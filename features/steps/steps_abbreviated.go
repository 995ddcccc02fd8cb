package steps

import (
	"context"
	"fmt"

	"github.com/cucumber/godog"

	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// Abbreviated dialling from the phone (the manual digest's project
// default codes): *51*nn*number# sets a personal code, #51*nn# clears it,
// **nn dials it.
func registerAbbreviatedSteps(sc *godog.ScenarioContext) {
	sc.Given(`^the system-wide abbreviated code (\d+) stands for (\d+)$`, step2(func(_ context.Context, w *world, code, name string) error {
		return withNumber(w, name, func(c *config.Config, number string) {
			if c.Services.Abbreviated.Codes == nil {
				c.Services.Abbreviated.Codes = map[string]string{}
			}
			c.Services.Abbreviated.Codes[code] = number
		})
	}))
	sc.When(`^(\d+) sets abbreviated code (\d+) to (\d+), ending the code with (#|%23|nothing)$`,
		func(ctx context.Context, caller, code, target, end string) error {
			return dialCodeFor(ctx, caller, "*51*"+code+"*", target, end)
		})
	sc.Given(`^the system-wide abbreviated code (\d+) stands for an outside number (\d+)$`, step2(func(_ context.Context, w *world, code, number string) error {
		return w.configure(func(c *config.Config) error {
			if c.Services.Abbreviated.Codes == nil {
				c.Services.Abbreviated.Codes = map[string]string{}
			}
			c.Services.Abbreviated.Codes[code] = number
			return nil
		})
	}))
	sc.When(`^(\d+) clears abbreviated code (\d+)$`, step2(func(ctx context.Context, w *world, caller, code string) error {
		_, err := dial(ctx, w, caller, "", "%2351*"+code+"%23") // as phones escape it (RFC 3261 §25.1)
		return err
	}))
	sc.When(`^(\d+) dials (\d+) by abbreviated code (\d+)$`, step3(func(ctx context.Context, w *world, caller, callee, code string) error {
		rec, err := dial(ctx, w, caller, callee, "**"+code)
		if err != nil {
			return err
		}
		id, err := w.identityOf(callee)
		if err != nil {
			return err
		}
		rec.out.ExpectIdentity(id)
		return nil
	}))
	sc.When(`^(\d+) dials abbreviated code (\d+)$`, step2(func(ctx context.Context, w *world, caller, code string) error {
		_, err := dial(ctx, w, caller, "", "**"+code)
		return err
	}))
	sc.Then(`^the PBX confirms the code to (\d+)$`, step1(confirmsCode))
}

// dialCodeFor dials a feature code that names a number: prefix, the
// number of the scenario's target, then end ("#", "%23" or "nothing").
func dialCodeFor(ctx context.Context, caller, prefix, target, end string) error {
	w, err := stepWorld(ctx)
	if err != nil {
		return err
	}
	sub, err := w.subscriber(target)
	if err != nil {
		return err
	}
	if end == "nothing" {
		end = ""
	}
	_, err = dial(ctx, w, caller, "", prefix+sub.Number+end)
	return err
}

// confirmsCode: the caller's feature-code call was answered (200), got
// the confirmation tone (RTP from the PBX), and the PBX hung up.
func confirmsCode(ctx context.Context, w *world, name string) error {
	rec, err := w.placedBy(name)
	if err != nil {
		return err
	}
	rec.checked = true
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if err := rec.out.WaitAnswer(wctx); err != nil {
		return fmt.Errorf("%w: %s's code was not answered: %w (code %d)", ErrExpectation, name, err, rec.out.Code())
	}
	end, err := rec.out.Wait(wctx)
	if err != nil {
		return fmt.Errorf("%w: the PBX did not end %s: %w", ErrExpectation, rec, err)
	}
	if end.Reason != phone.ReasonBye || end.By != phone.Remote {
		return fmt.Errorf("%w: %s ended by %s with %s, want a BYE from the PBX", ErrExpectation, rec, end.By, end.Reason)
	}
	if st := rec.out.MediaStats(); st.PacketsIn == 0 {
		return fmt.Errorf("%w: %s heard no confirmation tone (no RTP from the PBX)", ErrExpectation, name)
	}
	return nil
}
