// Package tone generates sine tones and chords and detects them with the
// Goertzel algorithm. pbxlab uses it to prove two-way audio: each simulated
// phone sends its own identity (a chord of two tones) and checks that it
// hears the far end's, and not its own (which would be echo or a
// looped-back stream).
package tone

import "math"

// Generator produces a continuous sine wave. It is not safe for concurrent use.
type Generator struct {
	step  float64 // phase increment per sample, radians
	phase float64
	amp   float64 // peak in int16 units
}

// New returns a generator of freqHz at sampleRate samples per second with a
// peak amplitude given as a fraction of full scale (clamped to 0..1).
func New(freqHz float64, sampleRate int, amplitude float64) *Generator {
	g := &Generator{amp: math.Max(0, math.Min(1, amplitude)) * math.MaxInt16}
	if sampleRate > 0 && !math.IsNaN(freqHz) && !math.IsInf(freqHz, 0) {
		g.step = 2 * math.Pi * freqHz / float64(sampleRate)
	}
	if math.IsNaN(g.amp) {
		g.amp = 0
	}
	return g
}

// Fill writes the next len(buf) samples; the phase continues across calls,
// so consecutive buffers join without a click.
func (g *Generator) Fill(buf []int16) {
	for i := range buf {
		buf[i] = int16(math.Round(g.amp * math.Sin(g.phase)))
		g.phase = math.Mod(g.phase+g.step, 2*math.Pi)
	}
}

// Chord produces the sum of several sines of equal amplitude. It is not
// safe for concurrent use.
type Chord struct {
	// Each sine is a phasor (cos, sin) turned by (stepCos, stepSin) every
	// sample: no math.Sin per sample.
	cos, sin, stepCos, stepSin []float64
	amp                        float64 // peak of each sine in int16 units
}

// NewChord returns a generator of the sum of sines at freqs (zeros are
// skipped), each with peak amplitude/len(freqs), so the sum never exceeds
// amplitude (a fraction of full scale, clamped to 0..1).
func NewChord(sampleRate int, amplitude float64, freqs ...float64) *Chord {
	c := &Chord{}
	for _, f := range freqs {
		if f == 0 || sampleRate <= 0 || math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		step := 2 * math.Pi * f / float64(sampleRate)
		c.cos, c.sin = append(c.cos, 1), append(c.sin, 0)
		c.stepCos, c.stepSin = append(c.stepCos, math.Cos(step)), append(c.stepSin, math.Sin(step))
	}
	if n := len(c.cos); n > 0 {
		c.amp = math.Max(0, math.Min(1, amplitude)) * math.MaxInt16 / float64(n)
	}
	if math.IsNaN(c.amp) {
		c.amp = 0
	}
	return c
}

// Fill writes the next len(buf) samples, continuing the phases of the
// previous call.
func (c *Chord) Fill(buf []int16) {
	for i := range buf {
		var v float64
		for k := range c.cos {
			v += c.sin[k]
			c.cos[k], c.sin[k] = c.cos[k]*c.stepCos[k]-c.sin[k]*c.stepSin[k], c.sin[k]*c.stepCos[k]+c.cos[k]*c.stepSin[k]
		}
		buf[i] = int16(math.Round(c.amp * v))
	}
	// Keep each phasor on the unit circle (rounding drifts it slowly).
	for k := range c.cos {
		r := math.Hypot(c.cos[k], c.sin[k])
		c.cos[k], c.sin[k] = c.cos[k]/r, c.sin[k]/r
	}
}
