package media

import (
	"fmt"
	"math"
)

// Mixer is the conference mixing math: every party hears the sum of all the
// others and not itself ("N−1 mixing"). It works on one frame period at a
// time: the RTP core decodes each party's latest 20 ms of G.711 into a
// PCM16 frame, calls Mix, and encodes each output frame in that party's
// codec.
//
// The sum is computed once (S = Σ in[j]) and each party's output is S −
// in[i], so a frame costs O(N) per sample, not O(N²), and parties that send
// nothing (muted, listen-only, a lost packet) all share one output, S.
//
// Levels: the sum of many talkers exceeds 16 bits. With automatic gain
// control (the default), a frame whose loudest output would pass the
// limit (−1 dBFS) is scaled down at once, for that frame, so the output
// never clips; the gain then recovers by MixerReleaseDB per second while
// the sum allows. Without it, outputs saturate at ±32767. Either way the
// party's own audio is subtracted before any scaling or clipping, so it
// never leaks back into its output.
//
// A Mixer keeps the gain between frames: use one per conference room. It is
// not safe for concurrent use.
type Mixer struct {
	agc  bool
	gain float64 // 0 < gain <= 1
	sum  []int32
	lo   []int32 // per sample, the smallest in[i] of the frame's talkers
	hi   []int32
}

// MixerOption configures a Mixer.
type MixerOption func(*Mixer)

// WithAGC switches automatic gain control (on by default).
func WithAGC(on bool) MixerOption { return func(m *Mixer) { m.agc = on } }

// MixerLimit is the largest output sample AGC lets through: −1 dBFS.
const MixerLimit = 29204

// MixerReleaseDB is how fast, in dB per second, AGC gives back gain once
// the conference is quieter: slow enough not to pump between syllables.
const MixerReleaseDB = 6.0

// NewMixer returns a Mixer, with AGC unless WithAGC(false).
func NewMixer(opts ...MixerOption) *Mixer {
	m := &Mixer{agc: true, gain: 1}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Gain returns the gain AGC applied to the last frame (1 without AGC).
func (m *Mixer) Gain() float64 { return m.gain }

// Mix writes into out[i] what party i hears: the sum of every in[j], j ≠ i,
// scaled by AGC and saturated to 16 bits. in[i] == nil means party i sends
// nothing this frame; out[i] == nil means nobody listens for party i (its
// output is skipped). len(in) and len(out) must be equal, and every
// non-nil frame must have the same length (160 samples for 20 ms). Frames
// in and out must not overlap.
func (m *Mixer) Mix(in, out [][]int16) error {
	if len(in) != len(out) {
		return fmt.Errorf("mix: %d inputs, %d outputs: %w", len(in), len(out), ErrMixer)
	}
	n := -1
	for _, set := range [][][]int16{in, out} {
		for i, f := range set {
			if f == nil {
				continue
			}
			if n >= 0 && len(f) != n {
				return fmt.Errorf("mix: frame %d has %d samples, another %d: %w", i, len(f), n, ErrMixer)
			}
			n = len(f)
		}
	}
	if n <= 0 {
		return nil
	}
	m.sum, m.lo, m.hi = grow(m.sum, n), grow(m.lo, n), grow(m.hi, n)
	sum, lo, hi := m.sum[:n], m.lo[:n], m.hi[:n]
	clear(sum)
	talkers, silent := 0, false
	for i, f := range in {
		if f == nil {
			silent = silent || out[i] != nil
			continue
		}
		if talkers == 0 {
			for k, v := range f {
				sum[k], lo[k], hi[k] = int32(v), int32(v), int32(v)
			}
		} else {
			for k, v := range f {
				x := int32(v)
				sum[k] += x
				lo[k], hi[k] = min(lo[k], x), max(hi[k], x)
			}
		}
		talkers++
	}
	if talkers == 0 {
		clear(lo)
		clear(hi)
	}
	m.adjustGain(sum, lo, hi, silent, n)
	gq := int64(math.Round(m.gain * (1 << 15)))
	var shared []int16 // the output of parties that send nothing
	for i, o := range out {
		if o == nil {
			continue
		}
		f := in[i]
		if f == nil && shared != nil {
			copy(o, shared)
			continue
		}
		for k := range o {
			d := sum[k]
			if f != nil {
				d -= int32(f[k])
			}
			o[k] = saturate(d, gq)
		}
		if f == nil {
			shared = o
		}
	}
	return nil
}

// adjustGain sets the frame's gain from the loudest output it would have
// at gain 1: for each sample, the largest |S − in[i]| over the talkers is
// |S − min| or |S − max|, and |S| for a silent listener.
func (m *Mixer) adjustGain(sum, lo, hi []int32, silent bool, n int) {
	if !m.agc {
		m.gain = 1
		return
	}
	var peak int32
	for k, s := range sum {
		p := max(abs32(s-lo[k]), abs32(s-hi[k]))
		if silent {
			p = max(p, abs32(s))
		}
		peak = max(peak, p)
	}
	target := 1.0
	if peak > MixerLimit {
		target = MixerLimit / float64(peak)
	}
	// Attack at once; release by MixerReleaseDB per second of audio.
	release := math.Pow(10, MixerReleaseDB*float64(n)/SampleRate/20)
	m.gain = min(target, m.gain*release, 1)
}

// saturate returns d × gq / 2^15, rounded, clipped to int16.
func saturate(d int32, gq int64) int16 {
	v := int64(d)
	if gq != 1<<15 {
		v = (v*gq + 1<<14) >> 15
	}
	return int16(min(max(v, math.MinInt16), math.MaxInt16))
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

func grow(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}
