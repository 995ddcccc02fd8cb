package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Trunk counts the calls of one simulated carrier (scenario carriers).
type Trunk struct {
	// Out are the population's calls out through the PBX to the carrier.
	Out TrunkCalls `json:"out"`
	// In are the carrier's calls to the PBX's DIDs.
	In TrunkCalls `json:"in"`
}

// TrunkCalls counts one direction of a trunk's calls.
type TrunkCalls struct {
	Attempted  int `json:"attempted"`
	Answered   int `json:"answered"`
	Unexpected int `json:"unexpected"`
}

// TrunkCall counts one call attempt through the named carrier (inbound:
// the carrier called) in the run's calls and in the trunk's own counts.
func (c *Collector) TrunkCall(name string, inbound bool, o CallOutcome) {
	c.Call(o)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.r.Trunks == nil {
		c.r.Trunks = map[string]Trunk{}
	}
	t := c.r.Trunks[name]
	d := &t.Out
	if inbound {
		d = &t.In
	}
	d.Attempted++
	if o.Code >= 200 && o.Code < 300 {
		d.Answered++
	}
	if !o.Expected {
		d.Unexpected++
	}
	c.r.Trunks[name] = t
}

func (r *Report) trunksText() string {
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(r.Trunks)) {
		t := r.Trunks[name]
		fmt.Fprintf(&b, "  trunk %-8s out %d answered %d unexpected %d  in %d answered %d unexpected %d\n",
			name, t.Out.Attempted, t.Out.Answered, t.Out.Unexpected, t.In.Attempted, t.In.Answered, t.In.Unexpected)
	}
	return b.String()
}
