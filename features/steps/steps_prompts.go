package steps

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// registerPromptSteps: call interception and voice prompts (manual, Call
// Services ch. 1). The configuration steps have the PBX play a tone of a
// tone plan to calls that fail for a cause (a tone's frequencies are
// known, a spoken prompt's are not); the Then steps listen on the caller's
// early media for them, or check that the caller got none.
func registerPromptSteps(sc *godog.ScenarioContext) {
	sc.Given(`^the PBX plays the (CN|US) (busy|congestion|dial|error|ringback) tone for (\d+) seconds to calls to (a vacant number|an unregistered subscriber|a busy subscriber|a barred number|or from a suspended subscriber)$`,
		func(ctx context.Context, plan, kind string, secs int, cause string) error {
			w, err := stepWorld(ctx)
			if err != nil {
				return err
			}
			return playsTone(w, plan, kind, secs, cause)
		})
	sc.Given(`^the media server is switched off$`, step0(func(_ context.Context, w *world) error {
		return w.configure(func(c *config.Config) error {
			c.Media.Enabled = false
			return nil
		})
	}))
	sc.Then(`^(\d+) hears the (CN|US) (busy|congestion|dial|error|ringback) tone in early media$`, step3(hearsToneEarly))
	sc.Then(`^(\d+) hears no prompt$`, step1(hearsNoPrompt))
}

// causes maps the scenario's words to media.prompts keys.
var causes = map[string]string{
	"a vacant number":                config.CauseVacant,
	"an unregistered subscriber":     config.CauseUnregistered,
	"a busy subscriber":              config.CauseBusy,
	"a barred number":                config.CauseBarred,
	"or from a suspended subscriber": config.CauseSuspended,
}

func playsTone(w *world, plan, kind string, secs int, cause string) error {
	if secs <= 0 || secs > 60 {
		return fmt.Errorf("%w: %d seconds", ErrUsage, secs)
	}
	return w.configure(func(c *config.Config) error {
		c.Media.TonePlan = strings.ToLower(plan)
		if c.Media.Prompts == nil {
			c.Media.Prompts = map[string]config.Prompt{}
		}
		c.Media.Prompts[causes[cause]] = config.Prompt{Tone: kind, Duration: time.Duration(secs) * time.Second}
		return nil
	})
}

// toneIdentity is what a tone of a plan sounds like to a phone's audio
// check: its frequencies (ITU-T E.180 Suppl. 2; the special information
// tone by its first, 950 Hz segment). Every CN tone is 450 Hz.
func toneIdentity(plan, kind string) phone.Identity {
	if plan == "CN" {
		return phone.SingleTone(450)
	}
	return map[string]phone.Identity{
		"busy":       {Low: 480, High: 620},
		"congestion": {Low: 480, High: 620},
		"dial":       {Low: 350, High: 440},
		"ringback":   {Low: 440, High: 480},
		"error":      phone.SingleTone(950),
	}[kind]
}

// hearsToneEarly: the caller's call is in early media (a 183 with SDP)
// and what it hears there is the tone.
func hearsToneEarly(ctx context.Context, w *world, name, plan, kind string) error {
	if err := receivesEarlyMedia(ctx, w, name); err != nil {
		return err
	}
	rec, err := w.placedBy(name)
	if err != nil {
		return err
	}
	id := toneIdentity(plan, kind)
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if _, err := rec.out.Listen(wctx, id); err != nil {
		return fmt.Errorf("%w: %s does not hear the %s %s tone (%s) in early media: %w", ErrExpectation, name, plan, kind, id, err)
	}
	return nil
}

// hearsNoPrompt: the caller's call ended without early media (no 183 with
// SDP): nothing could have been played to it.
func hearsNoPrompt(ctx context.Context, w *world, name string) error {
	rec, err := w.placedBy(name)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if _, err := rec.out.Wait(wctx); err != nil {
		return fmt.Errorf("%w: %s's call did not end: %w", ErrExpectation, name, err)
	}
	if rec.out.EarlyMedia() || slices.Contains(rec.out.Provisional(), 183) {
		return fmt.Errorf("%w: %s got early media (%v)", ErrExpectation, name, rec.out.Provisional())
	}
	return nil
}
