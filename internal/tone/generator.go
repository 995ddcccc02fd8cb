// Package tone generates sine tones and detects them with the Goertzel
// algorithm. pbxlab uses it to prove two-way audio: each simulated phone
// sends its own frequency and checks that it hears the far end's, and not
// its own (which would be echo or a looped-back stream).
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
