package steps

import (
	"context"
	"fmt"

	"github.com/cucumber/godog"

	"pbxlab/pbx/config"
)

// Call waiting (pbx/internal/services/waiting): on or off by
// configuration or from the phone (*58# / #58#, project default), and a
// subscriber put in a call so that a second call finds it busy.
func registerWaitingSteps(sc *godog.ScenarioContext) {
	sc.Given(`^call waiting is (on|off) by default$`, step1(func(_ context.Context, w *world, onOff string) error {
		return w.configure(func(c *config.Config) error {
			c.Services.Waiting.Default = config.WaitingSetting(onOff)
			return nil
		})
	}))
	sc.Given(`^(\d+) has call waiting (on|off) by configuration$`, step2(func(_ context.Context, w *world, name, onOff string) error {
		return withNumber(w, name, func(c *config.Config, number string) {
			if c.Services.Waiting.Subscribers == nil {
				c.Services.Waiting.Subscribers = map[string]config.WaitingSetting{}
			}
			c.Services.Waiting.Subscribers[number] = config.WaitingSetting(onOff)
		})
	}))
	sc.When(`^(\d+) turns call waiting (on|off)$`, step2(func(ctx context.Context, w *world, caller, onOff string) error {
		code := "*58#"
		if onOff == "off" {
			code = "%2358%23" // as phones escape it (RFC 3261 §25.1)
		}
		_, err := dial(ctx, w, caller, "", code)
		return err
	}))
	sc.Given(`^(\d+) is in a call with (\d+)$`, step2(inCallWith))
}

// inCallWith sets up an answered call from caller to callee: the
// precondition of a second call to either. Its outcome is checked here
// (it was answered); the scenario's cleanup ends it.
func inCallWith(ctx context.Context, w *world, caller, callee string) error {
	rec, err := dial(ctx, w, caller, callee, "")
	if err != nil {
		return err
	}
	if err := answer(ctx, w, callee, ""); err != nil {
		return fmt.Errorf("%s in a call with %s: %w", caller, callee, err)
	}
	rec.checked = true
	return nil
}
