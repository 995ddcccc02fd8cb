package steps

import (
	"context"
	"fmt"

	"github.com/cucumber/godog"

	"pbxlab/pbx/config"
)

// registerAnalysisSteps: number analysis entries (config
// numbering.entries) as a user writes them, and numbers dialled as they
// are.
func registerAnalysisSteps(sc *godog.ScenarioContext) {
	sc.Given(`^numbers starting with (\d+), (\d+) to (\d+) digits long, reach (\d+)$`, func(ctx context.Context, prefix string, lo, hi int, name string) error {
		w, err := stepWorld(ctx)
		if err != nil {
			return err
		}
		sub, err := w.subscriber(name)
		if err != nil {
			return err
		}
		return w.configure(func(c *config.Config) error {
			c.Numbering.Entries = append(c.Numbering.Entries, config.NumberingEntry{Prefix: prefix, Min: lo, Max: hi, Kind: "subscriber", Target: sub.Number})
			return nil
		})
	})
	sc.Given(`^numbers starting with (\d+) are refused with (\d+)$`, step2(func(_ context.Context, w *world, prefix string, cause int) error {
		if cause < 400 || cause > 699 {
			return fmt.Errorf("%w: a refusal's cause is a 4xx-6xx status, got %d", ErrUsage, cause)
		}
		return w.configure(func(c *config.Config) error {
			c.Numbering.Entries = append(c.Numbering.Entries, config.NumberingEntry{Prefix: prefix, Kind: "reject", Cause: cause})
			return nil
		})
	}))
	sc.When(`^(\d+) dials the number (\d+)$`, step2(func(ctx context.Context, w *world, caller, number string) error {
		_, err := dial(ctx, w, caller, "", number)
		return err
	}))
	sc.When(`^(\d+) dials (\d+) to reach (\d+)$`, step3(func(ctx context.Context, w *world, caller, number, callee string) error {
		_, err := dial(ctx, w, caller, callee, number)
		return err
	}))
}
