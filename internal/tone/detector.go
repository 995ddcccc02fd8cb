package tone

// Defaults used by NewDetector for zero Config fields.
const (
	DefaultRate         = 8000
	DefaultMinRMS       = 0.01 // -40 dBFS
	DefaultMinSNR       = 6.0  // dB
	DefaultRejectMargin = 10.0 // dB
)

// Config configures a Detector. Zero fields take the defaults above.
type Config struct {
	Freq float64 // the frequency that must be present, Hz
	Rate int     // sample rate, Hz
	// Reject lists frequencies that must not carry comparable power, e.g.
	// the listener's own tone, so that echo or a looped stream is refused.
	Reject []float64
	// MinRMS is the level below which the block counts as silence (full scale = 1).
	MinRMS float64
	// MinSNR is how far, in dB, Freq must stand above everything else in the block.
	MinSNR float64
	// RejectMargin is how far, in dB, every rejected frequency must stay below Freq.
	RejectMargin float64
}

// Detector decides whether a block of audio carries one expected tone.
// It is immutable and safe for concurrent use.
type Detector struct{ cfg Config }

// Result is the outcome of Analyse. Powers are mean-square, full scale = 1.
type Result struct {
	Present      bool
	Level        float64 // power at the expected frequency
	Noise        float64 // power of everything else
	RMS          float64 // level of the whole block
	SNR          float64 // Level over Noise, dB (bounded)
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
	if cfg.RejectMargin == 0 {
		cfg.RejectMargin = DefaultRejectMargin
	}
	cfg.Reject = append([]float64(nil), cfg.Reject...)
	return &Detector{cfg: cfg}
}

// Freq returns the frequency the detector looks for.
func (d *Detector) Freq() float64 { return d.cfg.Freq }

// Analyse reports the tone present only if the block is not silence, the
// expected frequency stands MinSNR above the rest of the signal, and no
// rejected frequency comes within RejectMargin of it.
func (d *Detector) Analyse(samples []int16) Result {
	total := MeanSquare(samples)
	r := Result{RMS: RMS(samples), Level: Power(samples, d.cfg.Freq, d.cfg.Rate)}
	r.Noise = max(0, total-r.Level)
	r.SNR = DB(r.Level, r.Noise)
	for _, f := range d.cfg.Reject {
		if p := Power(samples, f, d.cfg.Rate); p > r.Rejected {
			r.Rejected, r.RejectedFreq = p, f
		}
	}
	switch {
	case len(samples) == 0:
		r.Reason = "no audio"
	case !(r.RMS >= d.cfg.MinRMS):
		r.Reason = "silence"
	case !(r.SNR >= d.cfg.MinSNR):
		r.Reason = "expected tone not above noise"
	case r.Rejected > 0 && !(DB(r.Level, r.Rejected) >= d.cfg.RejectMargin):
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
