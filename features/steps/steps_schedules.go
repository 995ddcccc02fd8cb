package steps

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the schedules' zones, whatever the test host has

	"github.com/cucumber/godog"
	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
)

// registerScheduleSteps: routes with a weighted spread and with
// time-of-day schedules (config routes[].spread weighted,
// routes[].schedules). Schedules are written relative to the wall clock
// when the scenario runs (a window of hours around the present, or one
// hours away from it), so they hold on any target without setting the
// PBX's clock.
func registerScheduleSteps(sc *godog.ScenarioContext) {
	sc.Given(`^route "([^"]+)" tries carrier "([^"]+)" alone$`, step2(func(_ context.Context, w *world, route, peer string) error {
		return w.configure(func(c *config.Config) error {
			c.Routes = append(c.Routes, config.Route{Name: route, Peers: []string{peer}})
			return nil
		})
	}))
	sc.Given(`^route "([^"]+)" spreads its calls by weight over$`, step2(weightedRoute))
	sc.Given(`^route "([^"]+)" sends calls to carrier "([^"]+)" on a schedule in ([A-Za-z_]+/[A-Za-z_]+) that (holds|does not hold) the present time$`,
		func(ctx context.Context, route, peer, zone, holds string) error {
			w, err := stepWorld(ctx)
			if err != nil {
				return err
			}
			return scheduleAroundNow(w, route, peer, zone, holds == "holds")
		})
	sc.Then(`^one of the carriers receives the call for (\d+)$`, step1(anyCarrierReceives))
	sc.When(`^that carrier refuses the call with (\d+)$`, step1(func(_ context.Context, w *world, code int) error {
		name, err := w.drawnCarrier()
		if err != nil {
			return err
		}
		c, err := w.carrierCall(name)
		if err != nil {
			return err
		}
		return c.cur.Reply(code, reasonOf(code))
	}))
	sc.Then(`^the other carrier receives the call for (\d+)$`, step1(func(ctx context.Context, w *world, number string) error {
		w.mu.Lock()
		other := w.routing.other
		w.mu.Unlock()
		if len(other) != 1 {
			return fmt.Errorf("%w: \"the other carrier\" needs a route of two carriers, not %v", ErrUsage, other)
		}
		if err := carrierReceives(ctx, w, other[0], number); err != nil {
			return err
		}
		w.mu.Lock()
		w.routing.drawn, w.routing.other = other[0], []string{w.routing.drawn}
		w.mu.Unlock()
		return nil // "that carrier" is the other one now
	}))
	sc.When(`^(\d+) makes (\d+) calls to the outside number (\d+), each refused with (\d+) by the carrier it reaches first$`,
		func(ctx context.Context, caller string, n int, number string, code int) error {
			w, err := stepWorld(ctx)
			if err != nil {
				return err
			}
			return refusedCalls(ctx, w, caller, n, number, code)
		})
	sc.Then(`^each carrier was reached first by some of those calls$`, step0(func(_ context.Context, w *world) error {
		w.mu.Lock()
		defer w.mu.Unlock()
		var none []string
		for name, c := range w.routing.carriers {
			if c.seen == 0 {
				none = append(none, name)
			}
		}
		if len(none) > 0 {
			return fmt.Errorf("%w: no call reached carrier %s first", ErrExpectation, strings.Join(none, ", "))
		}
		return nil
	}))
}

// weightedRoute configures route with spread weighted over the table's
// carriers (columns carrier, weight), in the table's order.
func weightedRoute(_ context.Context, w *world, route string, t *godog.Table) error {
	if len(t.Rows) < 2 || len(t.Rows[0].Cells) != 2 || t.Rows[0].Cells[0].Value != "carrier" || t.Rows[0].Cells[1].Value != "weight" {
		return fmt.Errorf("%w: want a table | carrier | weight | with a row per carrier", ErrUsage)
	}
	r := config.Route{Name: route, Spread: config.SpreadWeighted, Weights: map[string]int{}}
	for _, row := range t.Rows[1:] {
		name := row.Cells[0].Value
		wt, err := strconv.Atoi(row.Cells[1].Value)
		if err != nil {
			return fmt.Errorf("%w: weight %q of carrier %s: %w", ErrUsage, row.Cells[1].Value, name, err)
		}
		r.Peers = append(r.Peers, name)
		r.Weights[name] = wt
	}
	return w.configure(func(c *config.Config) error {
		c.Routes = append(c.Routes, r)
		return nil
	})
}

// scheduleAroundNow adds to route a schedule in zone sending its calls
// to peer: when holds, the days from yesterday to tomorrow and the hours
// from two before to two after the present (local time in zone); else
// the hours from three to five after it. Either is still right an hour
// later, so the scenario's own duration cannot move it.
func scheduleAroundNow(w *world, route, peer, zone string, holds bool) error {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return fmt.Errorf("%w: time zone %q: %w", ErrUsage, zone, err)
	}
	now := time.Now().In(loc)
	s := config.RouteSchedule{TimeZone: zone, Peers: []string{peer}}
	if holds {
		s.Name = "around-now"
		s.Days = []string{day(now.AddDate(0, 0, -1)) + "-" + day(now.AddDate(0, 0, 1))}
		s.Times = []string{now.Add(-2*time.Hour).Format("15:04") + "-" + now.Add(2*time.Hour).Format("15:04")}
	} else {
		s.Name = "later"
		s.Times = []string{now.Add(3*time.Hour).Format("15:04") + "-" + now.Add(5*time.Hour).Format("15:04")}
	}
	return w.configure(func(c *config.Config) error {
		i := slices.IndexFunc(c.Routes, func(r config.Route) bool { return r.Name == route })
		if i < 0 {
			return fmt.Errorf("%w: no route %q yet (declare it first)", ErrUsage, route)
		}
		c.Routes[i].Schedules = append(c.Routes[i].Schedules, s)
		return nil
	})
}

func day(t time.Time) string { return strings.ToLower(t.Weekday().String()[:3]) }

// anyCarrierReceives waits for the next INVITE at any carrier of the
// scenario and checks it as carrierReceives does.
func anyCarrierReceives(ctx context.Context, w *world, number string) error {
	name, err := nextCarrierCall(ctx, w)
	if err != nil {
		return err
	}
	w.mu.Lock()
	c := w.routing.carriers[name]
	c.seen-- // carrierReceives takes it again, checking its number
	w.mu.Unlock()
	return carrierReceives(ctx, w, name, number)
}

// nextCarrierCall waits for the next INVITE at any carrier of the
// scenario, takes it (the carrier's current call) and remembers which
// carrier it was (drawn) and the others.
func nextCarrierCall(ctx context.Context, w *world) (string, error) {
	w.mu.Lock()
	var names []string
	if w.routing != nil {
		for name := range w.routing.carriers {
			names = append(names, name)
		}
	}
	w.mu.Unlock()
	if len(names) == 0 {
		return "", fmt.Errorf("%w: no carriers declared", ErrUsage)
	}
	slices.Sort(names)
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	got := make(chan *carrier, len(names))
	for _, name := range names {
		c, err := w.carrierUA(ctx, name)
		if err != nil {
			return "", err
		}
		seen := c.seen
		go func() {
			if c.ua.Until(wctx, func() bool { return len(c.ua.Incoming(testua.Method(sip.INVITE))) > seen }) == nil {
				got <- c
			}
		}()
	}
	select {
	case c := <-got:
		w.mu.Lock()
		defer w.mu.Unlock()
		c.cur = c.ua.Incoming(testua.Method(sip.INVITE))[c.seen]
		c.seen++
		w.routing.drawn = c.name
		w.routing.other = slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == c.name })
		return c.name, nil
	case <-wctx.Done():
		return "", fmt.Errorf("%w: no carrier (%s) received a call: %w", ErrExpectation, strings.Join(names, ", "), wctx.Err())
	}
}

// drawnCarrier is the carrier the last call reached first.
func (w *world) drawnCarrier() (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.routing == nil || w.routing.drawn == "" {
		return "", fmt.Errorf("%w: no carrier took a call yet (\"one of the carriers receives the call for …\")", ErrUsage)
	}
	return w.routing.drawn, nil
}

// refusedCalls places n calls from caller to number, one after another;
// the carrier each reaches first refuses it with code (a callee's
// refusal, so no other carrier is tried), and each call must fail with
// that code.
func refusedCalls(ctx context.Context, w *world, caller string, n int, number string, code int) error {
	for i := range n {
		rec, err := dial(ctx, w, caller, "", number)
		if err != nil {
			return err
		}
		name, err := nextCarrierCall(ctx, w)
		if err != nil {
			return fmt.Errorf("call %d of %d: %w", i+1, n, err)
		}
		c, err := w.carrierCall(name)
		if err != nil {
			return err
		}
		if err := c.cur.Reply(code, reasonOf(code)); err != nil {
			return err
		}
		if err := callFails(ctx, w, rec, code); err != nil {
			return fmt.Errorf("call %d of %d: %w", i+1, n, err)
		}
	}
	return nil
}
