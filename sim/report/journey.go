package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// JourneyStep counts one step of the scenario's journey (calls.journey)
// over the calls that ran it.
type JourneyStep struct {
	// Step is the step's position, from 1; Name is it as the scenario
	// wrote it ("hold 5s", "transfer blind 1003").
	Step int    `json:"step"`
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Attempted = OK + Failed; Skipped counts the calls that never got
	// to the step (an earlier one failed, or the call ended before).
	Attempted int `json:"attempted"`
	OK        int `json:"ok"`
	Failed    int `json:"failed"`
	Skipped   int `json:"skipped"`
	// FailedByReason counts the failures by reason ("486", "timeout",
	// "call ended", "not received", ...).
	FailedByReason map[string]int `json:"failed_by_reason,omitempty"`
	// Latency is how long the step's signalling took on the steps that
	// succeeded: a hold's two re-INVITEs, REFER → final NOTIFY, INVITE →
	// 2xx of a conference join, the DTMF sent (and heard), BYE → 200; a
	// wait's is the wait.
	Latency Percentiles `json:"latency"`
}

// StepResult is the outcome of one step on one call.
type StepResult struct {
	// Index is the step's position in the journey (from 0).
	Index      int
	Kind, Name string
	// Skipped: the step was not run. Reason is why a step failed ("" when
	// it succeeded).
	Skipped bool
	Reason  string
	Latency time.Duration
}

// JourneyStep counts one step's outcome.
func (c *Collector) JourneyStep(s StepResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.r.Journey) <= s.Index {
		c.r.Journey = append(c.r.Journey, JourneyStep{Step: len(c.r.Journey) + 1})
		c.stepLat = append(c.stepLat, nil)
	}
	j := &c.r.Journey[s.Index]
	j.Kind, j.Name = s.Kind, s.Name
	switch {
	case s.Skipped:
		j.Skipped++
	case s.Reason != "":
		j.Attempted++
		j.Failed++
		if j.FailedByReason == nil {
			j.FailedByReason = map[string]int{}
		}
		j.FailedByReason[s.Reason]++
	default:
		j.Attempted++
		j.OK++
		c.stepLat[s.Index] = append(c.stepLat[s.Index], s.Latency)
	}
}

// journeySnapshot copies the steps for a Report, with their latencies.
func (c *Collector) journeySnapshot() []JourneyStep {
	if c.r.Journey == nil {
		return nil
	}
	out := slices.Clone(c.r.Journey)
	for i := range out {
		out[i].FailedByReason = maps.Clone(out[i].FailedByReason)
		out[i].Latency = Compute(c.stepLat[i])
	}
	return out
}

// mergeJourney adds the steps of one shard's report to out's. Counters
// add; a latency percentile is the worst of the shards' (an upper bound).
func mergeJourney(out, in []JourneyStep) []JourneyStep {
	for i, s := range in {
		if i >= len(out) {
			out = append(out, JourneyStep{Step: s.Step, Kind: s.Kind, Name: s.Name})
		}
		o := &out[i]
		o.Attempted += s.Attempted
		o.OK += s.OK
		o.Failed += s.Failed
		o.Skipped += s.Skipped
		for r, n := range s.FailedByReason {
			if o.FailedByReason == nil {
				o.FailedByReason = map[string]int{}
			}
			o.FailedByReason[r] += n
		}
		o.Latency = Percentiles{Count: o.Latency.Count + s.Latency.Count,
			P50: max(o.Latency.P50, s.Latency.P50), P95: max(o.Latency.P95, s.Latency.P95),
			P99: max(o.Latency.P99, s.Latency.P99), Max: max(o.Latency.Max, s.Latency.Max)}
	}
	return out
}

// journeyText is a line per journey step.
func (r *Report) journeyText() string {
	var b strings.Builder
	for _, s := range r.Journey {
		fmt.Fprintf(&b, "  step %d %-25s  attempted %d  ok %d  failed %d%s  skipped %d  latency %s\n",
			s.Step, s.Name, s.Attempted, s.OK, s.Failed, reasons(s.FailedByReason), s.Skipped, s.Latency.text())
	}
	return b.String()
}

// reasons renders failure reasons as " (486×2, timeout×1)", sorted.
func reasons(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s×%d", k, m[k]))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// Reasons renders FailedByReason as "486×2, timeout×1" ("" for none).
func (s JourneyStep) Reasons() string {
	return strings.TrimSuffix(strings.TrimPrefix(reasons(s.FailedByReason), " ("), ")")
}

// LatencyText renders Latency as the text report does.
func (s JourneyStep) LatencyText() string { return s.Latency.text() }
