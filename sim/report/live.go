package report

import (
	"encoding/json"
	"maps"
	"math"
	"sync"
	"time"
)

// maxPoints bounds Series: when a run outgrows it, neighbouring intervals
// are merged and the interval doubles (1 s for the first hour, then 2 s...).
const maxPoints = 3600

// rateWindow is the span of Snapshot.Rate.
const rateWindow = 5 * time.Second

// mosSlots is the number of 0.1-wide MOS slots from 1.0 to 4.5 (MOSCounts).
const mosSlots = 36

// Point is one interval of a run's time series.
type Point struct {
	// T is the interval's index: it starts T*Interval after Started.
	T int `json:"t"`
	// Started, Answered and Failed count call attempts placed, answered
	// and ended without a 2xx during the interval.
	Started  int `json:"started"`
	Answered int `json:"answered"`
	Failed   int `json:"failed"`
	// Concurrency is the most calls in progress at once in the interval.
	Concurrency int `json:"concurrency"`
	// Registered is the phones registered at the end of the interval.
	Registered int `json:"registered"`
	// Streams counts the audio streams measured (answered calls' legs
	// that ended) in the interval; MOSMean and LossMean are over them.
	Streams  int     `json:"streams,omitempty"`
	MOSMean  float64 `json:"mos_mean,omitempty"`
	LossMean float64 `json:"loss_mean_percent,omitempty"`
}

// Series is a run over time: one Point per interval, intervals without
// an event included (a gap is a fact too).
type Series struct {
	Interval time.Duration `json:"-"`
	Points   []Point       `json:"points"`
}

// seriesJSON is Series' encoding.
type seriesJSON struct {
	IntervalS float64 `json:"interval_s"`
	Points    []Point `json:"points"`
}

// MarshalJSON renders the interval in seconds.
func (s Series) MarshalJSON() ([]byte, error) {
	return json.Marshal(seriesJSON{s.Interval.Seconds(), s.Points})
}

// UnmarshalJSON reads MarshalJSON's output.
func (s *Series) UnmarshalJSON(b []byte) error {
	var j seriesJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = Series{Interval: time.Duration(j.IntervalS * float64(time.Second)), Points: j.Points}
	return nil
}

// Snapshot is the live state of a run (Collector.Snapshot).
type Snapshot struct {
	Elapsed time.Duration
	// Registered is the phones registered now.
	Registered int
	// RegisterFailed counts failed REGISTERs so far.
	RegisterFailed int
	// InProgress is the calls in progress now; Started the attempts placed.
	InProgress int
	Started    int
	// Attempted (ended), Answered, Failed, Skipped and Unexpected are the
	// report's call counts so far.
	Attempted, Answered, Failed, Skipped, Unexpected int
	// FailedByCode counts the ended calls that were not answered, by final
	// status (0: no final response).
	FailedByCode map[int]int
	// Rate is calls started per second over the last 5 s.
	Rate float64
	// SetupP95 is the 95th percentile of the setup time so far.
	SetupP95 time.Duration
}

// live is the Collector's time-dependent state (under its lock).
type live struct {
	now        func() time.Time
	interval   time.Duration
	points     []Point
	mosSum     []float64 // per point, for the means
	lossSum    []float64
	inProgress int
	started    int
	registered int
	setup      Histogram
	mos        [mosSlots]int
}

// SetNow sets the Collector's time source (the run's clock); default
// time.Now.
func (c *Collector) SetNow(now func() time.Time) {
	c.mu.Lock()
	c.live.now = now
	c.mu.Unlock()
}

// point returns the current interval's point, adding the intervals since
// the last one (carrying the gauges on) and coarsening past maxPoints.
func (c *Collector) point() *Point {
	l := &c.live
	if l.interval == 0 {
		l.interval = time.Second
	}
	t := int(max(l.now().Sub(c.r.Started), 0) / l.interval)
	for t >= maxPoints {
		c.coarsen()
		t = int(max(l.now().Sub(c.r.Started), 0) / l.interval)
	}
	for len(l.points) <= t {
		l.points = append(l.points, Point{T: len(l.points), Concurrency: l.inProgress, Registered: l.registered})
		l.mosSum, l.lossSum = append(l.mosSum, 0), append(l.lossSum, 0)
	}
	return &l.points[t]
}

// coarsen merges neighbouring points and doubles the interval.
func (c *Collector) coarsen() {
	l := &c.live
	n := (len(l.points) + 1) / 2
	for i := range n {
		a := l.points[2*i]
		mos, loss := l.mosSum[2*i], l.lossSum[2*i]
		if 2*i+1 < len(l.points) {
			b := l.points[2*i+1]
			a.Started += b.Started
			a.Answered += b.Answered
			a.Failed += b.Failed
			a.Concurrency = max(a.Concurrency, b.Concurrency)
			a.Registered = b.Registered
			a.Streams += b.Streams
			mos, loss = mos+l.mosSum[2*i+1], loss+l.lossSum[2*i+1]
		}
		a.T = i
		l.points[i], l.mosSum[i], l.lossSum[i] = a, mos, loss
	}
	l.points, l.mosSum, l.lossSum = l.points[:n], l.mosSum[:n], l.lossSum[:n]
	l.interval *= 2
}

// CallStarted counts a call attempt placed (CallDone ends it; Call
// counts its outcome).
func (c *Collector) CallStarted() {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.point()
	c.live.started++
	c.live.inProgress++
	p.Started++
	p.Concurrency = max(p.Concurrency, c.live.inProgress)
}

// CallDone ends a call CallStarted counted.
func (c *Collector) CallDone() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.point()
	c.live.inProgress = max(c.live.inProgress-1, 0)
}

// Bound counts a phone registered (delta 1) or unregistered (-1): the
// registered gauge, not the REGISTER counts.
func (c *Collector) Bound(delta int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.point()
	c.live.registered = max(c.live.registered+delta, 0)
	p.Registered = c.live.registered
}

// callSeries records an outcome in the series (under the lock).
func (c *Collector) callSeries(o CallOutcome) {
	p := c.point()
	if o.Code >= 200 && o.Code < 300 {
		p.Answered++
		c.live.setup.Add(o.Setup)
	} else {
		p.Failed++
	}
}

// streamSeries records a measured stream in the series (under the lock).
func (c *Collector) streamSeries(s Stream) {
	p := c.point()
	i := p.T
	p.Streams++
	c.live.mosSum[i] += s.MOS
	c.live.lossSum[i] += s.LossPercent
	slot := int(math.Floor((s.MOS - 1) * 10))
	c.live.mos[min(max(slot, 0), mosSlots-1)]++
}

// series is the finished series (under the lock).
func (c *Collector) series() Series {
	l := &c.live
	s := Series{Interval: max(l.interval, time.Second), Points: make([]Point, len(l.points))}
	for i, p := range l.points {
		if p.Streams > 0 {
			p.MOSMean = round2(l.mosSum[i] / float64(p.Streams))
			p.LossMean = round2(l.lossSum[i] / float64(p.Streams))
		}
		s.Points[i] = p
	}
	return s
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// Snapshot returns the live state of the run at now.
func (c *Collector) Snapshot() Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.live.now()
	c.point()
	s := Snapshot{
		Elapsed:        now.Sub(c.r.Started),
		Registered:     c.live.registered,
		RegisterFailed: c.r.Registrations.Failed,
		InProgress:     c.live.inProgress,
		Started:        c.live.started,
		Attempted:      c.r.Calls.Attempted,
		Answered:       c.r.Calls.Answered,
		Failed:         c.r.Calls.Failed,
		Skipped:        c.r.Calls.Skipped,
		Unexpected:     c.r.Calls.Unexpected,
		FailedByCode:   maps.Clone(c.r.Calls.ByCode),
		SetupP95:       c.live.setup.Quantile(0.95),
	}
	for code := range s.FailedByCode {
		if code >= 200 && code < 300 {
			delete(s.FailedByCode, code)
		}
	}
	// calls started in the last rateWindow (whole intervals back from now)
	from := now.Add(-rateWindow)
	if from.Before(c.r.Started) {
		from = c.r.Started
	}
	n := 0
	for i := len(c.live.points) - 1; i >= 0; i-- {
		p := c.live.points[i]
		if c.r.Started.Add(time.Duration(p.T+1) * c.live.interval).Before(from) {
			break
		}
		n += p.Started
	}
	if span := now.Sub(from); span > 0 {
		s.Rate = float64(n) / span.Seconds()
	}
	return s
}

// Live hands a run's Collector to whoever watches the run (progress,
// metrics) before the run creates it. The zero value is ready to use.
type Live struct {
	mu sync.Mutex
	c  *Collector
}

// Attach makes l report c (the runner calls it when the run starts).
func (l *Live) Attach(c *Collector) {
	l.mu.Lock()
	l.c = c
	l.mu.Unlock()
}

// Snapshot is the run's live state; false before the run started.
func (l *Live) Snapshot() (Snapshot, bool) {
	l.mu.Lock()
	c := l.c
	l.mu.Unlock()
	if c == nil {
		return Snapshot{}, false
	}
	return c.Snapshot(), true
}

// Report is the run's report so far; nil before the run started.
func (l *Live) Report() *Report {
	l.mu.Lock()
	c := l.c
	l.mu.Unlock()
	if c == nil {
		return nil
	}
	return c.Report(c.Now())
}

// Now is the Collector's current time.
func (c *Collector) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live.now()
}

// FailedCall is one sampled call that was not answered as its callee was
// told to (or failed to set up): its final status and the SIP messages of
// its Call-ID the run's capture holds, in order.
type FailedCall struct {
	CallID   string    `json:"call_id"`
	Caller   string    `json:"caller"`
	Callee   string    `json:"callee"`
	Code     int       `json:"code"`
	Messages []Message `json:"messages,omitempty"`
}

// Message is one SIP message of a FailedCall, as the capture saw it.
type Message struct {
	At    time.Time `json:"at"`
	From  string    `json:"from"` // source address:port
	To    string    `json:"to"`   // destination address:port
	Label string    `json:"label"`
}
