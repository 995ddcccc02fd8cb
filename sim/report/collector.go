package report

import (
	"maps"
	"slices"
	"sync"
	"time"
)

// Collector accumulates outcomes from many goroutines; Report snapshots it.
// The zero value is not usable: use NewCollector.
type Collector struct {
	mu      sync.Mutex
	r       Report
	setup   []time.Duration
	ring    []time.Duration
	quality qualityAcc
	hists   Histograms
	live    live
	stepLat [][]time.Duration // latencies of each journey step's successes
}

// NewCollector starts collecting for the named scenario.
func NewCollector(scenario, target string, started time.Time) *Collector {
	return &Collector{live: live{now: time.Now}, r: Report{
		Scenario: scenario,
		Target:   target,
		Started:  started,
		Registrations: Registrations{
			FailedByCode: map[int]int{},
		},
		Calls: Calls{ByCode: map[int]int{}},
	}}
}

// Registered counts a successful REGISTER.
func (c *Collector) Registered() {
	c.mu.Lock()
	c.r.Registrations.OK++
	c.mu.Unlock()
}

// RegisterFailed counts a failed REGISTER with its final status (0: none).
func (c *Collector) RegisterFailed(code int) {
	c.mu.Lock()
	c.r.Registrations.Failed++
	c.r.Registrations.FailedByCode[code]++
	c.mu.Unlock()
}

// Unregistered counts a successful un-REGISTER (Expires: 0).
func (c *Collector) Unregistered() {
	c.mu.Lock()
	c.r.Registrations.Unregistered++
	c.mu.Unlock()
}

// CallSkipped counts a call not placed because max_concurrent was reached.
func (c *Collector) CallSkipped() {
	c.mu.Lock()
	c.r.Calls.Skipped++
	c.mu.Unlock()
}

// CallOutcome is what one call attempt produced.
type CallOutcome struct {
	// Code is the final SIP status of the INVITE (0: no final response).
	Code int
	// Setup is INVITE → 2xx (answered calls only).
	Setup time.Duration
	// Ring is INVITE → first 180 (0: never rang).
	Ring time.Duration
	// Expected reports whether Code is what the callee's behaviour implies.
	Expected bool
	// CallID, Caller and Callee identify the call, for the sample of
	// failed calls (FailedCalls); "" when the call could not be placed.
	CallID, Caller, Callee string
}

// maxFailedSamples bounds Report.FailedCalls.
const maxFailedSamples = 5

// Call counts one call attempt.
func (c *Collector) Call(o CallOutcome) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.r.Calls.Attempted++
	c.r.Calls.ByCode[o.Code]++
	c.callSeries(o)
	if o.Code >= 200 && o.Code < 300 {
		c.r.Calls.Answered++
		c.setup = append(c.setup, o.Setup)
	} else {
		c.r.Calls.Failed++
	}
	if o.Ring > 0 {
		c.ring = append(c.ring, o.Ring)
		c.hists.observeRing(o.Ring)
	}
	if !o.Expected {
		c.r.Calls.Unexpected++
		if o.CallID != "" && len(c.r.FailedCalls) < maxFailedSamples {
			c.r.FailedCalls = append(c.r.FailedCalls, FailedCall{CallID: o.CallID, Caller: o.Caller, Callee: o.Callee, Code: o.Code})
		}
	}
}

// MediaCall counts an attempt that carries media (counted by Call too).
func (c *Collector) MediaCall() {
	c.mu.Lock()
	c.r.Calls.Media++
	c.mu.Unlock()
}

// Audio counts one two-way audio check.
func (c *Collector) Audio(verified bool) {
	c.mu.Lock()
	c.r.Audio.Checked++
	if verified {
		c.r.Audio.Verified++
	}
	c.mu.Unlock()
}

// Report returns a snapshot, with Elapsed measured up to now.
func (c *Collector) Report(now time.Time) *Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.r
	r.Elapsed = now.Sub(r.Started)
	r.Registrations.FailedByCode = cloneMap(r.Registrations.FailedByCode)
	r.Calls.ByCode = cloneMap(r.Calls.ByCode)
	if r.Trunks != nil {
		r.Trunks = maps.Clone(r.Trunks)
	}
	r.SetupTime = Compute(c.setup)
	r.RingTime = Compute(c.ring)
	r.Quality = c.quality.report()
	r.Histograms = c.hists.clone()
	r.FailedCalls = slices.Clone(r.FailedCalls)
	r.Journey = c.journeySnapshot()
	r.Series = c.series()
	r.SetupHistogram = c.live.setup
	r.SetupHistogram.counts = slices.Clone(c.live.setup.counts)
	if len(c.quality.mos) > 0 {
		r.MOSCounts = slices.Clone(c.live.mos[:])
	}
	if r.Audio.Checked > 0 {
		r.Audio.VerifiedPercent = 100 * float64(r.Audio.Verified) / float64(r.Audio.Checked)
	}
	return &r
}

func cloneMap(m map[int]int) map[int]int {
	out := make(map[int]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
