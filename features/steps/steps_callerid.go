package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/cucumber/godog"

	"pbxlab/pbx"
	"pbxlab/pbx/config"
)

// Caller ID presentation and restriction (pbx/internal/services/callerid):
// per-call codes placed before the callee's number ("1001 calls 1002
// with the code "*67"" dials *671002; a code with "{num}" puts the
// number there: "*31*{num}#"), the permanent toggle *31# / #31#, and
// what the callee is shown.
func registerCallerIDSteps(sc *godog.ScenarioContext) {
	sc.Given(`^(\d+) withholds its number by configuration$`, step1(func(_ context.Context, w *world, name string) error {
		sub, err := w.subscriber(name)
		if err != nil {
			return err
		}
		return w.configure(func(c *config.Config) error {
			return editSubscriber(c, sub.Number, func(s *config.Subscriber) { s.CLIR = true })
		})
	}))
	sc.When(`^(\d+) calls (\d+) with the caller ID code "([^"]+)"$`, step3(func(ctx context.Context, w *world, caller, callee, code string) error {
		sub, err := w.subscriber(callee)
		if err != nil {
			return err
		}
		number := code + sub.Number
		if strings.Contains(code, "{num}") {
			number = strings.ReplaceAll(code, "{num}", sub.Number)
		}
		_, err = dial(ctx, w, caller, callee, number)
		return err
	}))
	sc.When(`^(\d+) turns caller ID restriction (on|off)$`, step2(func(ctx context.Context, w *world, caller, onOff string) error {
		code := "*31#"
		if onOff == "off" {
			code = "#31#"
		}
		_, err := dial(ctx, w, caller, "", code)
		return err
	}))
	sc.When(`^(\d+) dials the caller ID code "([^"]+)"$`, step2(func(ctx context.Context, w *world, caller, code string) error {
		_, err := dial(ctx, w, caller, "", code)
		return err
	}))
	sc.Then(`^(\d+) sees the call as Anonymous$`, step1(seesAnonymous))
	sc.Then(`^the call record keeps (\d+) as the caller of (\d+)$`, step2(func(ctx context.Context, w *world, caller, callee string) error {
		from, err := w.subscriber(caller)
		if err != nil {
			return err
		}
		to, err := w.subscriber(callee)
		if err != nil {
			return err
		}
		return awaitCDR(ctx, w, fmt.Sprintf("a finished CDR of %s calling %s", caller, callee), func(r pbx.CDR) bool {
			return r.Disposition != pbx.InProgress && r.Caller == from.Number && r.Callee == to.Number
		})
	}))
}

// seesAnonymous: the callee's INVITE names the anonymous identity of RFC
// 3323 (display name Anonymous, sip:anonymous@anonymous.invalid) with
// Privacy: id, and no P-Asserted-Identity.
func seesAnonymous(ctx context.Context, w *world, callee string) error {
	leg, err := waitRinging(ctx, w, callee, "")
	if err != nil {
		return err
	}
	if leg == nil {
		return fmt.Errorf("%w: %s is not a simulated phone", ErrUsage, callee)
	}
	from := strings.Join(leg.RequestHeaders("From"), ",")
	privacy := strings.ToLower(strings.Join(leg.RequestHeaders("Privacy"), ","))
	switch {
	case leg.Remote() != "anonymous" || !strings.Contains(from, `"Anonymous"`) || !strings.Contains(from, "anonymous.invalid"):
		return fmt.Errorf("%w: %s sees the call from %q (From %s), want Anonymous", ErrExpectation, callee, leg.Remote(), from)
	case !strings.Contains(privacy, "id"):
		return fmt.Errorf("%w: %s's INVITE has Privacy %q, want id", ErrExpectation, callee, privacy)
	case len(leg.RequestHeaders("P-Asserted-Identity")) > 0:
		return fmt.Errorf("%w: %s's INVITE asserts %v", ErrExpectation, callee, leg.RequestHeaders("P-Asserted-Identity"))
	}
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	id, err := w.identityOf(rec.caller)
	if err != nil {
		return err
	}
	leg.ExpectIdentity(id) // the callee hears the caller all the same
	return nil
}
