package sim

import (
	"context"
	"fmt"
	"time"

	"pbxlab/sim/report"
	"pbxlab/sim/scenario"
)

// runCeiling runs a calls.shape ceiling scenario: one step per rate of
// the staircase (scenario.Ceiling.Rates), each a complete run of its own
// (register, place the step's calls at that rate for step_duration, wait
// for every call to end, unregister) so that a step is judged on its own
// calls only, with nothing of the step before still in progress. The
// search stops at the first step that fails one of the ceiling's
// thresholds; with confirm, the last good rate is run once more. The
// report merges the steps' reports and carries the steps (Ceiling).
func runCeiling(ctx context.Context, sc *scenario.Scenario, target Target, cfg config) (*report.Report, error) {
	c := sc.Calls.Ceiling
	res := &report.Ceiling{Max: c.Max, Thresholds: c.Thresholds}
	var reps []*report.Report
	step := func(n int, rate float64, confirm bool) (report.CeilingStep, error) {
		st := sc.StepScenario(rate)
		r, err := newRunner(st, target, cfg)
		if err != nil {
			return report.CeilingStep{}, fmt.Errorf("ceiling step %d at %s calls/s: %w", n, report.Rate(rate), err)
		}
		rep, err := r.run(ctx)
		// only the first step waits for --start-at and reports the
		// registered population
		cfg.startAt, cfg.registered = time.Time{}, nil
		if rep == nil {
			return report.CeilingStep{}, err
		}
		reps = append(reps, rep)
		s := report.NewCeilingStep(n, rate, max(r.placing, st.Calls.Duration), rep)
		s.Confirm = confirm
		res.Steps = append(res.Steps, s)
		cfg.log.Info("ceiling step", "step", n, "confirm", confirm, "offered", rate, "achieved", s.Achieved,
			"attempted", s.Attempted, "answer_ratio", s.AnswerRatio, "verdict", s.Verdict())
		if err != nil {
			return s, fmt.Errorf("ceiling step %d at %s calls/s: %w", n, report.Rate(rate), err)
		}
		return s, nil
	}
	err := func() error {
		rates := c.Rates()
		for i, rate := range rates {
			s, err := step(i+1, rate, false)
			if err != nil {
				return err
			}
			if !s.Pass {
				res.BrokenAt, res.Broken = rate, s.Failed()
				return nil
			}
			res.CallsPerS = rate
		}
		res.MaxReached = len(rates) > 0
		return nil
	}()
	if err == nil && c.Confirm && res.CallsPerS > 0 {
		n := len(res.Steps)
		if !res.MaxReached {
			n-- // the step before the one that broke
		}
		var s report.CeilingStep
		if s, err = step(n, res.CallsPerS, true); err == nil {
			res.Confirmed = &s.Pass
		}
	}
	if len(reps) == 0 {
		return nil, err
	}
	rep, merr := report.Merge(reps...)
	if merr != nil {
		return nil, fmt.Errorf("ceiling: %w", merr)
	}
	rep.Ceiling = res
	rep.Series = stepSeries(rep.Started, reps)
	return rep, err
}

// stepSeries lays the steps' time series one after the other on the
// merged report's time axis (from started): the staircase over time.
func stepSeries(started time.Time, reps []*report.Report) report.Series {
	out := report.Series{Interval: reps[0].Series.Interval}
	if out.Interval <= 0 {
		return out
	}
	last := -1
	for _, r := range reps {
		offset := int(r.Started.Sub(started) / out.Interval)
		for _, p := range r.Series.Points {
			p.T = max(p.T+offset, last+1)
			last = p.T
			out.Points = append(out.Points, p)
		}
	}
	return out
}
