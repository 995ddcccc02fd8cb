package tone

import (
	"math"
	"slices"
)

// Defaults used by NewDetector for zero Config fields.
const (
	DefaultRate         = 8000
	DefaultMinRMS       = 0.01 // -40 dBFS
	DefaultMinSNR       = 6.0  // dB
	DefaultRejectMargin = 10.0 // dB
	DefaultMaxTwist     = 10.0 // dB
)

// Config configures a Detector. Zero fields take the defaults above.
type Config struct {
	// Freq is a frequency that must be present, Hz.
	Freq float64
	// Freqs are further frequencies that must all be present at once (a
	// chord, e.g. the two tones of a phone's identity). The expected set is
	// Freq and Freqs; zeros are ignored.
	Freqs []float64
	Rate  int // sample rate, Hz
	// Reject lists frequencies that must not carry comparable power, e.g.
	// the listener's own tones, so that echo or a looped stream is refused.
	// A frequency that is also expected is not rejected.
	Reject []float64
	// MinRMS is the level below which the block counts as silence (full scale = 1).
	MinRMS float64
	// MinSNR is how far, in dB, the expected frequencies together must stand
	// above everything else in the block.
	MinSNR float64
	// MaxTwist is how far, in dB, the weakest expected frequency may stay
	// below the strongest: a chord with a tone missing is not the chord.
	MaxTwist float64
	// RejectMargin is how far, in dB, every rejected frequency must stay
	// below the weakest expected one.
	RejectMargin float64
}

// Detector decides whether a block of audio carries one expected tone or
// chord. It is immutable and safe for concurrent use.
type Detector struct {
	cfg    Config
	freqs  []float64 // expected, then rejected
	expect int       // how many of freqs are expected
}

// Result is the outcome of Analyse. Powers are mean-square, full scale = 1.
type Result struct {
	Present      bool
	Level        float64 // power at the expected frequencies, summed
	Weakest      float64 // power at the weakest expected frequency
	WeakestFreq  float64 // that frequency
	Noise        float64 // power of everything else
	RMS          float64 // level of the whole block
	SNR          float64 // Level over Noise, dB (bounded)
	Twist        float64 // strongest over weakest expected frequency, dB (bounded)
	Rejected     float64 // highest power found at a rejected frequency
	RejectedFreq float64 // the frequency that carried it
	Reason       string  // why the tone is not present; "" when present
}

// NewDetector returns a Detector for cfg.
func NewDetector(cfg Config) *Detector {
	if cfg.Rate <= 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.MinRMS <= 0 {
		cfg.MinRMS = DefaultMinRMS
	}
	if cfg.MinSNR == 0 {
		cfg.MinSNR = DefaultMinSNR
	}
	if cfg.MaxTwist <= 0 {
		cfg.MaxTwist = DefaultMaxTwist
	}
	if cfg.RejectMargin == 0 {
		cfg.RejectMargin = DefaultRejectMargin
	}
	var freqs []float64
	for _, f := range append([]float64{cfg.Freq}, cfg.Freqs...) {
		if f != 0 && !slices.Contains(freqs, f) {
			freqs = append(freqs, f)
		}
	}
	expect := len(freqs)
	for _, f := range cfg.Reject {
		if f != 0 && !slices.Contains(freqs, f) {
			freqs = append(freqs, f)
		}
	}
	cfg.Freqs = slices.Clone(freqs[:expect])
	cfg.Reject = slices.Clone(freqs[expect:])
	return &Detector{cfg: cfg, freqs: freqs, expect: expect}
}

// Freq returns the first expected frequency.
func (d *Detector) Freq() float64 {
	if d.expect == 0 {
		return 0
	}
	return d.freqs[0]
}

// Freqs returns the expected frequencies.
func (d *Detector) Freqs() []float64 { return slices.Clone(d.freqs[:d.expect]) }

// Analyse reports the tone (or chord) present only if the block is not
// silence, the expected frequencies together stand MinSNR above the rest of
// the signal, none of them is more than MaxTwist below the strongest, and no
// rejected frequency comes within RejectMargin of the weakest.
func (d *Detector) Analyse(samples []int16) Result {
	var stack [maxStack]float64
	buf := stack[:]
	if len(d.freqs) > maxStack {
		buf = make([]float64, len(d.freqs))
	}
	pow := Powers(samples, d.cfg.Rate, d.freqs, buf)
	total := MeanSquare(samples)
	r := Result{RMS: math.Sqrt(total), Weakest: math.Inf(1)}
	var strongest float64
	for i, p := range pow[:d.expect] {
		r.Level += p
		strongest = max(strongest, p)
		if p < r.Weakest {
			r.Weakest, r.WeakestFreq = p, d.freqs[i]
		}
	}
	if d.expect == 0 {
		r.Weakest = 0
	}
	for i, p := range pow[d.expect:] {
		if p > r.Rejected {
			r.Rejected, r.RejectedFreq = p, d.freqs[d.expect+i]
		}
	}
	r.Noise = max(0, total-r.Level)
	r.SNR = DB(r.Level, r.Noise)
	r.Twist = DB(strongest, r.Weakest)
	switch {
	case len(samples) == 0:
		r.Reason = "no audio"
	case !(r.RMS >= d.cfg.MinRMS):
		r.Reason = "silence"
	case d.expect == 0 || !(r.SNR >= d.cfg.MinSNR):
		r.Reason = "expected tone not above noise"
	case !(r.Twist <= d.cfg.MaxTwist):
		r.Reason = "expected tone missing from the chord"
	case r.Rejected > 0 && !(DB(r.Weakest, r.Rejected) >= d.cfg.RejectMargin):
		r.Reason = "rejected frequency present"
	default:
		r.Present = true
	}
	return r
}

// Dominant returns which of candidates carries the most power in samples,
// and whether it is clearly the signal: not silence and DefaultMinSNR above
// everything else in the block.
func Dominant(samples []int16, rate int, candidates []float64) (float64, bool) {
	var best, bestP float64
	for _, f := range candidates {
		if p := Power(samples, f, rate); p > bestP {
			best, bestP = f, p
		}
	}
	if bestP == 0 {
		return 0, false
	}
	rest := max(0, MeanSquare(samples)-bestP)
	return best, RMS(samples) >= DefaultMinRMS && DB(bestP, rest) >= DefaultMinSNR
}
