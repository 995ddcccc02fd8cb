package tone

import "math"

// maxStack is how many frequencies Powers analyses without allocating.
const maxStack = 8

// Power returns the mean-square power of the freq component of samples, with
// full scale (±32768) as 1: a pure sine of peak amplitude A gives about A²/2,
// the same as its total MeanSquare. It runs a Goertzel filter at exactly freq
// over a Hann-windowed block (the window keeps a strong tone elsewhere from
// leaking in). It returns 0 for an empty block or a freq outside (0, rate/2).
func Power(samples []int16, freq float64, rate int) float64 {
	var out [1]float64
	Powers(samples, rate, []float64{freq}, out[:])
	return out[0]
}

// Powers computes Power for every frequency of freqs in one pass over
// samples (the window is computed once) and writes them to out, which must
// be at least len(freqs) long; it returns out[:len(freqs)]. Frequencies
// outside (0, rate/2) get 0.
func Powers(samples []int16, rate int, freqs []float64, out []float64) []float64 {
	out = out[:len(freqs)]
	clear(out)
	n := len(samples)
	if n == 0 || rate <= 0 {
		return out
	}
	var coeffStack, s1Stack, s2Stack [maxStack]float64
	coeff := coeffStack[:0]
	var s1, s2 []float64
	if len(freqs) > maxStack {
		coeff, s1, s2 = make([]float64, 0, len(freqs)), make([]float64, len(freqs)), make([]float64, len(freqs))
	} else {
		s1, s2 = s1Stack[:len(freqs)], s2Stack[:len(freqs)]
	}
	for _, f := range freqs {
		c := math.NaN() // marks a frequency that is skipped
		if f > 0 && f < float64(rate)/2 {
			c = 2 * math.Cos(2*math.Pi*f/float64(rate))
		}
		coeff = append(coeff, c)
	}
	// Hann window w[i] = 0.5 - 0.5 cos(2πi/n), the cosine by rotation.
	step := 2 * math.Pi / float64(n)
	cr, sr := math.Cos(step), math.Sin(step)
	c, s := 1.0, 0.0
	var wsum float64
	for _, x := range samples {
		w := 0.5 - 0.5*c
		c, s = c*cr-s*sr, s*cr+c*sr
		wsum += w
		v := float64(x) / 32768 * w
		for k, ck := range coeff {
			s0 := v + ck*s1[k] - s2[k]
			s2[k], s1[k] = s1[k], s0
		}
	}
	if wsum == 0 {
		return out
	}
	for k, ck := range coeff {
		if math.IsNaN(ck) {
			continue
		}
		p := s1[k]*s1[k] + s2[k]*s2[k] - ck*s1[k]*s2[k]
		out[k] = math.Max(0, 2*p/(wsum*wsum))
	}
	return out
}

// MeanSquare returns the mean of the squared samples, full scale as 1.
func MeanSquare(samples []int16) float64 {
	if len(samples) == 0 {
		return 0
	}
	var sum float64
	for _, x := range samples {
		v := float64(x) / 32768
		sum += v * v
	}
	return sum / float64(len(samples))
}

// RMS returns the root-mean-square level of samples as a fraction of full scale.
func RMS(samples []int16) float64 { return math.Sqrt(MeanSquare(samples)) }

// DB converts a power ratio to decibels, bounded to ±200 so that zero powers
// never yield ±Inf or NaN.
func DB(num, den float64) float64 {
	const tiny = 1e-20
	return math.Max(-200, math.Min(200, 10*math.Log10((num+tiny)/(den+tiny))))
}
