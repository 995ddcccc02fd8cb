package steps

import (
	"context"
	"time"

	"github.com/cucumber/godog"

	"pbxlab/pbx/config"
)

// registerConfigSteps: configuration of an in-process PBX. They must come
// before any step that uses the PBX, in scenarios tagged @in-process.
func registerConfigSteps(sc *godog.ScenarioContext) {
	sc.Given(`^the no-answer timer is (\d+) seconds?$`, step1(noAnswerTimer))
	sc.Given(`^the registrar's minimum registration interval is (\d+) seconds?$`, step1(minRegistration))
	sc.Given(`^the PBX redirects calls to (\d+) with (301|302)$`, step2(redirectSubscriber))
}

func noAnswerTimer(_ context.Context, w *world, secs int) error {
	return w.configure(func(c *config.Config) error {
		c.Call.NoAnswerTimeout = time.Duration(secs) * time.Second
		return nil
	})
}

func minRegistration(_ context.Context, w *world, secs int) error {
	return w.configure(func(c *config.Config) error {
		c.Registrar.MinExpires = time.Duration(secs) * time.Second
		return nil
	})
}

// redirectSubscriber makes the PBX the manual's redirect server for one
// subscriber: INVITEs to it are answered 301/302 with its registered
// contact instead of being proxied.
func redirectSubscriber(_ context.Context, w *world, name, code string) error {
	return w.configure(func(c *config.Config) error {
		return editSubscriber(c, name, func(s *config.Subscriber) { s.Redirect = config.Redirect(code) })
	})
}
