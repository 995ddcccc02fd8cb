package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"pbxlab/pbx/config"
)

// Call forwarding and do not disturb (pbx/internal/services/forward,
// dnd): forwards configured per scenario or set from the phone with the
// project-default codes, DND on and off, and what reaches the target
// (Diversion with the reason, RFC 5806).
func registerForwardSteps(sc *godog.ScenarioContext) {
	sc.Given(`^(\d+) forwards calls (unconditionally|on busy|on no reply|when unreachable) to (\d+)$`, step3(configureForward))
	sc.Given(`^the no-reply time is (\d+) seconds?$`, step1(func(_ context.Context, w *world, secs int) error {
		return w.configure(func(c *config.Config) error {
			c.Services.Forward.NoReplyAfter = time.Duration(secs) * time.Second
			return nil
		})
	}))
	sc.Given(`^calls may be forwarded at most (\d+) times?$`, step1(func(_ context.Context, w *world, hops int) error {
		return w.configure(func(c *config.Config) error {
			c.Services.Forward.MaxHops = hops
			return nil
		})
	}))
	sc.Given(`^(\d+) has do not disturb on by configuration$`, step1(func(_ context.Context, w *world, name string) error {
		return withNumber(w, name, func(c *config.Config, number string) {
			c.Services.DND.Subscribers = append(c.Services.DND.Subscribers, number)
		})
	}))
	sc.When(`^(\d+) sets call forwarding (unconditionally|on busy|on no reply|when unreachable) to (\d+), ending the code with (#|%23|nothing)$`,
		func(ctx context.Context, caller, kind, target, end string) error {
			return dialCodeFor(ctx, caller, "*"+forwardCodes[kind]+"*", target, end)
		})
	sc.When(`^(\d+) clears call forwarding (unconditionally|on busy|on no reply|when unreachable)$`, step2(func(ctx context.Context, w *world, caller, kind string) error {
		_, err := dial(ctx, w, caller, "", "%23"+forwardCodes[kind]+"%23") // as phones escape it (RFC 3261 §25.1)
		return err
	}))
	sc.When(`^(\d+) turns do not disturb (on|off)$`, step2(func(ctx context.Context, w *world, caller, onOff string) error {
		code := "*56#"
		if onOff == "off" {
			code = "#56#"
		}
		_, err := dial(ctx, w, caller, "", code)
		return err
	}))
	sc.When(`^(\d+) calls (\d+), which is forwarded to (\d+)$`, step3(callForwarded))
	sc.Then(`^the call reaches (\d+) diverted from (\d+) with reason ([a-z-]+)$`, step3(reachesDivertedWithReason))
}

// forwardCodes are the service codes of each kind (project default).
var forwardCodes = map[string]string{"unconditionally": "57", "on busy": "40", "on no reply": "41", "when unreachable": "42"}

// configureForward sets a configured forward of name to target.
func configureForward(_ context.Context, w *world, name, kind, target string) error {
	to, err := w.subscriber(target)
	if err != nil {
		return err
	}
	return withNumber(w, name, func(c *config.Config, number string) {
		fw := &c.Services.Forward
		if fw.Subscribers == nil {
			fw.Subscribers = map[string]config.Forwards{}
		}
		f := fw.Subscribers[number]
		switch kind {
		case "unconditionally":
			f.Unconditional = to.Number
		case "on busy":
			f.Busy = to.Number
		case "on no reply":
			f.NoReply = to.Number
		default:
			f.Unreachable = to.Number
		}
		fw.Subscribers[number] = f
	})
}

// callForwarded dials callee and expects the call to end up at target:
// the current call is target's from now on (its rings, the identity the
// caller hears).
func callForwarded(ctx context.Context, w *world, caller, callee, target string) error {
	_, err := dialRetargeted(ctx, w, caller, callee, "", target)
	return err
}

// reachesDivertedWithReason: the INVITE ringing name carries a Diversion
// entry (RFC 5806) naming from with the reason ("": any reason).
func reachesDivertedWithReason(ctx context.Context, w *world, name, from, reason string) error {
	leg, err := waitRinging(ctx, w, name, "")
	if err != nil {
		return err
	}
	if leg == nil {
		return fmt.Errorf("%w: %s is not a simulated phone", ErrUsage, name)
	}
	sub, err := w.subscriber(from)
	if err != nil {
		return err
	}
	div := leg.RequestHeaders("Diversion")
	for _, v := range div {
		if strings.Contains(v, "sip:"+sub.Number+"@") && strings.Contains(v, "reason="+reason) {
			return nil
		}
	}
	if reason == "" {
		reason = "any"
	}
	return fmt.Errorf("%w: the INVITE to %s has Diversion %q, none from %s with reason %s", ErrExpectation, name, div, from, reason)
}
