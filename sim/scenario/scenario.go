// Package scenario loads and validates the YAML files that describe a
// simulator run: a population of phones that register against a PBX, the mix
// of answer behaviours of the callees, and the rate and length of the calls
// placed between them, with an optional call model (calls.go: arrivals,
// BHCA, hold distributions, callee patterns, load shapes, media share) and
// thresholds. Plan (plan.go) draws a run's calls from the seed alone. The
// schema is documented in scenarios/README.md.
package scenario

import (
	"strconv"
	"strings"
	"time"

	"pbxlab/sim/threshold"
)

// Transports a population may use.
const (
	TransportUDP = "udp"
	TransportTCP = "tcp"
)

// Defaults applied by Parse to fields left out of a scenario file.
const (
	DefaultRegisterExpires     = time.Hour
	DefaultRegisterConcurrency = 50
	DefaultRingTimeout         = 10 * time.Second
	DefaultMaxConcurrent       = 100
)

// DefaultFirstRefresh is the default range of population.first_refresh.
var DefaultFirstRefresh = [2]float64{0.5, 0.9}

// Scenario is one simulator run, as read from a YAML file.
type Scenario struct {
	// Name identifies the scenario in reports.
	Name string `yaml:"name"`
	// Population is the set of simulated phones.
	Population Population `yaml:"population"`
	// Behaviours is the percentage of callees answering, busy, never
	// answering and rejecting; the four sum to 100.
	Behaviours Behaviours `yaml:"behaviours"`
	// AnswerDelay is how long an answering callee rings before it answers.
	AnswerDelay time.Duration `yaml:"answer_delay"`
	// Calls is the call load.
	Calls Calls `yaml:"calls"`
	// Audio says whether answered calls must prove two-way audio.
	Audio Audio `yaml:"audio"`
	// Seed makes the choice of callers, callees and behaviours repeatable.
	Seed int64 `yaml:"seed"`
	// Carriers are simulated trunk providers (carrier.go); default none.
	Carriers []Carrier `yaml:"carriers"`
	// Thresholds are pass/fail criteria on the run's report, k6-style:
	// "setup_p99 < 200ms", "answer_ratio > 0.99" (package sim/threshold).
	Thresholds []string `yaml:"thresholds"`
	// Checks are the Thresholds parsed (filled by Parse).
	Checks []threshold.Threshold `yaml:"-"`

	// File is the path the scenario was loaded from ("" when parsed from bytes).
	File string `yaml:"-"`
}

// Population describes the simulated phones: Count numbers starting at First.
type Population struct {
	// Count is how many phones to start.
	Count int `yaml:"count"`
	// First is the first number (decimal digits; leading zeros are kept).
	First string `yaml:"first"`
	// Password is the digest password; "{n}" is replaced by the phone's number.
	Password string `yaml:"password"`
	// RegisterExpires is the Expires each phone asks for in REGISTER.
	RegisterExpires time.Duration `yaml:"register_expires"`
	// Transport is "udp" (default) or "tcp".
	Transport string `yaml:"transport"`
	// RegisterConcurrency bounds how many REGISTERs are in flight at once.
	RegisterConcurrency int `yaml:"register_concurrency"`
	// Impairment degrades the phones' network path (impairment.go);
	// default none.
	Impairment Impairment `yaml:"impairment"`
	// Register, when false, starts the phones without registering them
	// (calls straight to the target, e.g. a UAS); default true.
	Register *bool `yaml:"register"`
	// FirstRefresh is the range [from, to] of fractions of the granted
	// lifetime in which each phone's first re-registration falls, drawn
	// per phone from the seed; later ones come at half the lifetime.
	// Default [0.5, 0.9]: phones registered together refresh spread out.
	FirstRefresh []float64 `yaml:"first_refresh"`
	// LocalAddrs are the local IPs the phones send from, spread over them
	// in turn (phone i on address i mod len); default one, the address
	// routing to the target. Several keep a PBX's per-source limits out of
	// what is measured.
	LocalAddrs []string `yaml:"local_addrs"`
	// SocketsPerAddr is how many signalling sockets (one Agent each) are
	// opened on every local address (default 1).
	SocketsPerAddr int `yaml:"sockets_per_addr"`
}

// Registers reports whether the phones register (Register, default true).
func (p Population) Registers() bool { return p.Register == nil || *p.Register }

// Behaviours is the answer mix of callees, in percent.
type Behaviours struct {
	Answer   int `yaml:"answer"`
	Busy     int `yaml:"busy"`
	NoAnswer int `yaml:"no_answer"`
	Reject   int `yaml:"reject"`
}

// Calls is the call load: Rate new calls per second for Duration, each held
// for Hold once answered.
type Calls struct {
	// Rate is how many calls per second are started (0: registration only).
	Rate float64 `yaml:"rate"`
	// Hold is how long an answered call lasts before the caller hangs up.
	Hold time.Duration `yaml:"hold"`
	// Duration is how long new calls keep being started.
	Duration time.Duration `yaml:"duration"`
	// MaxConcurrent caps the calls in progress; a call due while the cap is
	// reached is skipped and counted.
	MaxConcurrent int `yaml:"max_concurrent"`
	// RingTimeout is how long a caller waits for an answer before it cancels.
	RingTimeout time.Duration `yaml:"ring_timeout"`
	// Remote are numbers outside the population that its phones call
	// instead of each other: phones of another PBX (through a trunk) or
	// behind a carrier, run by another simulator. They are expected to
	// answer; the audio check is the caller's (it hears the dialled
	// number's identity). Default none.
	Remote Remote `yaml:"remote"`

	// The call model (calls.go); every field is optional and the
	// defaults are the plain model above.

	// Arrivals is how calls are spaced: uniform (default, 1/rate apart)
	// or poisson (exponential gaps of mean 1/rate).
	Arrivals string `yaml:"arrivals"`
	// BHCA is busy-hour call attempts per subscriber, instead of Rate:
	// Rate = population.count × BHCA / 3600.
	BHCA float64 `yaml:"bhca"`
	// HoldDist draws each answered call's hold; default fixed at Hold.
	HoldDist HoldDist `yaml:"hold_dist"`
	// Pattern is how a caller chooses its callee: random (default), local
	// (a phone of its own block of Block numbers) or remote (calls.remote;
	// the default when Remote is set).
	Pattern string `yaml:"pattern"`
	// Block is the size of a block of numbers for the local pattern
	// (default 100: the same hundred).
	Block int `yaml:"block"`
	// Shape is the arrival rate over time: steady (default), ramp, spike,
	// soak or ceiling, with Ramp, Spike, Soak or Ceiling (ceiling.go) as
	// its parameters.
	Shape string `yaml:"shape"`
	Ramp  Ramp   `yaml:"ramp"`
	Spike Spike  `yaml:"spike"`
	Soak  Soak   `yaml:"soak"`
	// Ceiling is the "find the ceiling" search (ceiling.go).
	Ceiling Ceiling `yaml:"ceiling"`

	// Journey is what the caller does once a call is answered, step by
	// step (journey.go): DTMF, waits, hold and resume, a transfer, a
	// conference join, hangup. Default none: the call is held for Hold.
	Journey []Step `yaml:"journey"`
	// JourneyShare is the fraction of calls that run the journey, drawn
	// per call from the seed (default 1).
	JourneyShare *float64 `yaml:"journey_share"`
}

// Remote is a range of numbers that are not this population's.
type Remote struct {
	First string `yaml:"first"`
	Count int    `yaml:"count"`
}

// Numbers returns the Count numbers from First, keeping First's width.
func (r Remote) Numbers() []string {
	return Population{First: r.First, Count: r.Count}.Numbers()
}

// Audio configures the media check.
type Audio struct {
	// Verify makes every answered call check that both legs hear each other.
	Verify bool `yaml:"verify"`
	// Share is the fraction of calls with media, 0..1 (default 1): the
	// others are signalling-only, between phones that open no RTP socket.
	Share *float64 `yaml:"share"`
}

// MediaShare is Share, 1 when unset.
func (a Audio) MediaShare() float64 {
	if a.Share == nil {
		return 1
	}
	return *a.Share
}

// Numbers returns the Count numbers of the population, First, First+1, ...
// keeping First's width (leading zeros). It assumes a validated scenario.
func (p Population) Numbers() []string {
	first, err := strconv.ParseUint(p.First, 10, 64)
	if err != nil || p.Count <= 0 {
		return nil
	}
	out := make([]string, p.Count)
	for i := range out {
		s := strconv.FormatUint(first+uint64(i), 10)
		if len(s) < len(p.First) {
			s = strings.Repeat("0", len(p.First)-len(s)) + s
		}
		out[i] = s
	}
	return out
}

// PasswordFor returns the password of the phone with the given number.
func (p Population) PasswordFor(number string) string {
	return strings.ReplaceAll(p.Password, "{n}", number)
}

// Total is the sum of the percentages.
func (b Behaviours) Total() int { return b.Answer + b.Busy + b.NoAnswer + b.Reject }

// RunLength estimates how long a run lasts once registered: the calling
// window plus the longest a call started at its very end can take.
func (s *Scenario) RunLength() time.Duration {
	if !s.Calls.Placing() {
		return s.Calls.Duration
	}
	tail := max(s.AnswerDelay+s.Calls.HoldDist.longest()+s.Calls.journeyLength(), s.Calls.RingTimeout)
	return s.Calls.Duration + tail
}

func (s *Scenario) applyDefaults() {
	if s.Population.RegisterExpires == 0 {
		s.Population.RegisterExpires = DefaultRegisterExpires
	}
	if s.Population.Transport == "" {
		s.Population.Transport = TransportUDP
	}
	s.Population.Transport = strings.ToLower(s.Population.Transport)
	if s.Population.FirstRefresh == nil {
		s.Population.FirstRefresh = DefaultFirstRefresh[:]
	}
	if s.Population.SocketsPerAddr == 0 {
		s.Population.SocketsPerAddr = 1
	}
	if s.Population.RegisterConcurrency == 0 {
		s.Population.RegisterConcurrency = DefaultRegisterConcurrency
	}
	if s.Calls.MaxConcurrent == 0 {
		s.Calls.MaxConcurrent = DefaultMaxConcurrent
	}
	if s.Calls.RingTimeout == 0 {
		s.Calls.RingTimeout = DefaultRingTimeout
	}
	s.carrierDefaults()
	s.callModelDefaults()
}
