package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/cucumber/godog"

	"pbxlab/pbx/config"
)

// registerServiceSteps: the call services of issue 10 — outgoing call
// authority (number classes, roles), inter-group restriction, emergency
// numbers, the service switches (config services:), and abbreviated
// dialling driven from the phone (steps_abbreviated.go).
func registerServiceSteps(sc *godog.ScenarioContext) {
	sc.Given(`^the number classes, lowest first:$`, step1(numberClasses))
	sc.Given(`^role "([^"]+)" may call up to (\w+) numbers$`, step2(func(_ context.Context, w *world, role, class string) error {
		return w.configure(func(c *config.Config) error {
			c.Services.Authority.Roles = append(c.Services.Authority.Roles, config.AuthorityRole{Name: role, Class: class})
			return nil
		})
	}))
	sc.Given(`^(\d+) has role "([^"]+)"$`, step2(func(_ context.Context, w *world, name, role string) error {
		return withNumber(w, name, func(c *config.Config, number string) {
			c.Services.Authority.Members = append(c.Services.Authority.Members, config.AuthorityMembers{Role: role, Numbers: []string{number}})
		})
	}))
	sc.Given(`^(\d+) is in group "([^"]+)"$`, step2(inGroup))
	sc.Given(`^the numbers starting with (\d+) are in group "([^"]+)"$`, step2(func(_ context.Context, w *world, prefix, group string) error {
		return w.configure(func(c *config.Config) error {
			gr := &c.Services.GroupRestriction
			for i := range gr.Groups {
				if gr.Groups[i].Name == group {
					gr.Groups[i].Prefixes = append(gr.Groups[i].Prefixes, prefix)
					return nil
				}
			}
			gr.Groups = append(gr.Groups, config.ServiceGroup{Name: group, Prefixes: []string{prefix}})
			return nil
		})
	}))
	sc.Given(`^group "([^"]+)" may not call group "([^"]+)"$`, step2(func(_ context.Context, w *world, from, to string) error {
		return w.configure(func(c *config.Config) error {
			gr := &c.Services.GroupRestriction
			gr.Restrictions = append(gr.Restrictions, config.GroupRestriction{From: from, To: to})
			return nil
		})
	}))
	sc.Given(`^the service "([^"]+)" is switched off for (\d+)$`, step2(func(_ context.Context, w *world, svc, name string) error {
		return withNumber(w, name, func(c *config.Config, number string) {
			sw := &c.Services.Switches
			if sw.Subscribers == nil {
				sw.Subscribers = map[string]map[string]config.Switch{}
			}
			if sw.Subscribers[number] == nil {
				sw.Subscribers[number] = map[string]config.Switch{}
			}
			sw.Subscribers[number][svc] = config.SwitchOff
		})
	}))
	sc.Given(`^the service "([^"]+)" is switched off for the gateway prefix (\d+)$`, step2(func(_ context.Context, w *world, svc, prefix string) error {
		return w.configure(func(c *config.Config) error {
			sw := &c.Services.Switches
			if sw.GatewayPrefixes == nil {
				sw.GatewayPrefixes = map[string]map[string]config.Switch{}
			}
			if sw.GatewayPrefixes[prefix] == nil {
				sw.GatewayPrefixes[prefix] = map[string]config.Switch{}
			}
			sw.GatewayPrefixes[prefix][svc] = config.SwitchOff
			return nil
		})
	}))
	sc.Given(`^route "([^"]+)" goes to carrier "([^"]+)"$`, step2(func(_ context.Context, w *world, route, carrier string) error {
		return w.configure(func(c *config.Config) error {
			c.Routes = append(c.Routes, config.Route{Name: route, Peers: []string{carrier}})
			return nil
		})
	}))
	sc.Given(`^number (\d+) goes out through route "([^"]+)" as dialled$`, step2(func(_ context.Context, w *world, number, route string) error {
		return w.configure(func(c *config.Config) error {
			c.Numbering.Entries = append(c.Numbering.Entries, config.NumberingEntry{Prefix: number, Min: len(number), Max: len(number), Kind: "route", Target: route})
			return nil
		})
	}))
	sc.Given(`^the emergency numbers are (\d+(?:, \d+)*)$`, step1(func(_ context.Context, w *world, list string) error {
		return w.configure(func(c *config.Config) error {
			c.Services.Emergency.Numbers = strings.Split(list, ", ")
			return nil
		})
	}))
	registerAbbreviatedSteps(sc)
	registerHuntSteps(sc)
	registerPickupSteps(sc)
}

// withNumber edits the configuration with the scenario subscriber's
// number.
func withNumber(w *world, name string, edit func(c *config.Config, number string)) error {
	sub, err := w.subscriber(name)
	if err != nil {
		return err
	}
	return w.configure(func(c *config.Config) error {
		edit(c, sub.Number)
		return nil
	})
}

// numberClasses sets services.authority.classes from a table with the
// columns class and prefixes (comma-separated, may be empty).
func numberClasses(_ context.Context, w *world, t *godog.Table) error {
	if len(t.Rows) < 2 || len(t.Rows[0].Cells) != 2 || t.Rows[0].Cells[0].Value != "class" || t.Rows[0].Cells[1].Value != "prefixes" {
		return fmt.Errorf("%w: want a table | class | prefixes | with a row per class", ErrUsage)
	}
	var classes []config.AuthorityClass
	for _, r := range t.Rows[1:] {
		cl := config.AuthorityClass{Name: r.Cells[0].Value}
		for _, p := range strings.Split(r.Cells[1].Value, ",") {
			if p = strings.TrimSpace(p); p != "" {
				cl.Prefixes = append(cl.Prefixes, p)
			}
		}
		classes = append(classes, cl)
	}
	return w.configure(func(c *config.Config) error {
		c.Services.Authority.Classes = classes
		return nil
	})
}

// inGroup adds name's number to group (created on first use).
func inGroup(_ context.Context, w *world, name, group string) error {
	return withNumber(w, name, func(c *config.Config, number string) {
		gr := &c.Services.GroupRestriction
		for i := range gr.Groups {
			if gr.Groups[i].Name == group {
				gr.Groups[i].Numbers = append(gr.Groups[i].Numbers, number)
				return
			}
		}
		gr.Groups = append(gr.Groups, config.ServiceGroup{Name: group, Numbers: []string{number}})
	})
}
