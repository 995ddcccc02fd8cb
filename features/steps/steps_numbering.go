package steps

import (
	"context"
	"fmt"

	"github.com/cucumber/godog"

	"pbxlab/pbx/config"
)

// location is a country code and an area code (the manual's location
// server).
type location struct{ country, area string }

// The forms of a number in the manual's Tables 1-1 and 1-2, and the
// project's prefixes for them (numbering.national_prefix "0" and
// numbering.international_prefix "00", the defaults).
const (
	formSubscriber = "the subscriber number"
	formArea       = "area code and subscriber number"
	formCountry    = "country code, area code and subscriber number"
	formsRE        = `(the subscriber number|area code and subscriber number|country code, area code and subscriber number)`
)

// registerNumberingSteps: locations of the PBX and its subscribers, and
// numbers dialled and shown in the manual's forms.
func registerNumberingSteps(sc *godog.ScenarioContext) {
	sc.Given(`^the PBX is at country code (\d+), area code (\d+)$`, step2(func(_ context.Context, w *world, cc, ac string) error {
		return w.configure(func(c *config.Config) error {
			c.Numbering.Country, c.Numbering.Area = cc, ac
			return nil
		})
	}))
	sc.Given(`^(\d+) is a subscriber at country code (\d+), area code (\d+)$`, step3(subscriberAt))
	sc.Given(`^the calling number of (\d+) is rewritten by a rule prepending (\d+)$`, step2(callingRule))
	sc.When(`^(\d+) dials (\d+) as `+formsRE+`$`, step3(dialAs))
	sc.Then(`^(\d+) sees the call from `+formsRE+` of (\d+)$`, step3(seesCallFrom))
	sc.Then(`^(\d+) sees the call from (\d+)$`, step2(func(ctx context.Context, w *world, callee, shown string) error {
		return seesNumber(ctx, w, callee, shown)
	}))
}

// subscriberAt binds name's number to a device at that location (one
// office gateway of the LS domain per location).
func subscriberAt(_ context.Context, w *world, name, cc, ac string) error {
	w.mu.Lock()
	if w.locs == nil {
		w.locs = map[string]location{}
	}
	w.locs[name] = location{cc, ac}
	w.mu.Unlock()
	sub, err := w.subscriber(name)
	if err != nil {
		return err
	}
	dev := "og-" + cc + "-" + ac
	return w.configure(func(c *config.Config) error {
		found := false
		for _, d := range c.Numbering.Devices {
			found = found || d.Name == dev
		}
		if !found {
			c.Numbering.Devices = append(c.Numbering.Devices, config.NumberingDevice{Name: dev, Kind: "office_gateway", Country: cc, Area: ac, InDomain: true})
		}
		return editSubscriber(c, sub.Number, func(s *config.Subscriber) { s.Device = dev })
	})
}

// callingRule binds a calling-number rule to name: its number, when it
// calls, gets prefix in front (rule-based substitution).
func callingRule(_ context.Context, w *world, name, prefix string) error {
	sub, err := w.subscriber(name)
	if err != nil {
		return err
	}
	return w.configure(func(c *config.Config) error {
		c.Numbering.Bindings = append(c.Numbering.Bindings, config.NumberingBinding{Scope: "calling-number", Key: sub.Number,
			Rules: []config.NumberingRule{{Number: "calling", Prepend: prefix}}})
		return nil
	})
}

// inForm writes name's number in a form of the manual's tables.
func inForm(w *world, name, form string) (string, error) {
	sub, err := w.subscriber(name)
	if err != nil {
		return "", err
	}
	w.mu.Lock()
	loc, ok := w.locs[name]
	w.mu.Unlock()
	switch {
	case form == formSubscriber:
		return sub.Number, nil
	case !ok:
		return "", fmt.Errorf("%w: %s has no location (\"%s is a subscriber at country code …\")", ErrUsage, name, name)
	case form == formArea:
		return "0" + loc.area + sub.Number, nil
	default:
		return "00" + loc.country + loc.area + sub.Number, nil
	}
}

// dialAs calls callee by dialling its number in a form; the caller
// expects to hear callee, whatever it dialled.
func dialAs(ctx context.Context, w *world, caller, callee, form string) error {
	number, err := inForm(w, callee, form)
	if err != nil {
		return err
	}
	rec, err := dial(ctx, w, caller, callee, number)
	if err != nil {
		return err
	}
	id, err := w.identityOf(callee)
	if err != nil {
		return err
	}
	rec.out.ExpectIdentity(id)
	return nil
}

func seesCallFrom(ctx context.Context, w *world, callee, form, caller string) error {
	shown, err := inForm(w, caller, form)
	if err != nil {
		return err
	}
	return seesNumber(ctx, w, callee, shown)
}

// seesNumber checks the calling number (the From user) of the call that
// rings at callee.
func seesNumber(ctx context.Context, w *world, callee, shown string) error {
	leg, err := waitRinging(ctx, w, callee, "")
	if err != nil {
		return err
	}
	if leg == nil {
		return fmt.Errorf("%w: %s is not a simulated phone", ErrUsage, callee)
	}
	if got := leg.Remote(); got != shown {
		return fmt.Errorf("%w: %s sees the call from %q, want %q", ErrExpectation, callee, got, shown)
	}
	// the callee hears the caller, whatever number it is shown
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	id, err := w.identityOf(rec.caller)
	if err != nil {
		return err
	}
	leg.ExpectIdentity(id)
	return nil
}
