package tone

import "math"

// Power returns the mean-square power of the freq component of samples, with
// full scale (±32768) as 1: a pure sine of peak amplitude A gives about A²/2,
// the same as its total MeanSquare. It runs a Goertzel filter at exactly freq
// over a Hann-windowed block (the window keeps a strong tone elsewhere from
// leaking in). It returns 0 for an empty block or a freq outside (0, rate/2).
func Power(samples []int16, freq float64, rate int) float64 {
	n := len(samples)
	if n == 0 || rate <= 0 || !(freq > 0 && freq < float64(rate)/2) {
		return 0
	}
	coeff := 2 * math.Cos(2*math.Pi*freq/float64(rate))
	var s1, s2, wsum float64
	for i, x := range samples {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n))
		wsum += w
		s0 := float64(x)/32768*w + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	if wsum == 0 {
		return 0
	}
	p := s1*s1 + s2*s2 - coeff*s1*s2
	return math.Max(0, 2*p/(wsum*wsum))
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
