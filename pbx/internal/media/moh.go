package media

import (
	"math"
	"time"

	"pbxlab/internal/tone"
)

// Note is one note of a synthesized tune: a pitch (0 = rest) for a length.
type Note struct {
	Freq     float64 // Hz; 0 is a rest
	Duration time.Duration
}

// Pitches of the default tune (equal temperament, A4 = 440 Hz), G major.
const (
	noteG3 = 196.00
	noteA3 = 220.00
	noteB3 = 246.94
	noteC4 = 261.63
	noteD4 = 293.66
)

// MusicOnHoldTune is the default music on hold: the first phrase of
// Beethoven's "Ode to Joy" (public domain) in G major, 6.4 s with a rest.
// Its pure sines lie between 196 and 294 Hz: below every call-progress
// frequency of the tone plans (350 Hz and up) and the simulated phones'
// identity tones (500 Hz and up), so a detector tells a held party's music
// from a tone or from the other party.
func MusicOnHoldTune() []Note {
	q, h := 400*time.Millisecond, 800*time.Millisecond
	return []Note{
		{noteB3, q}, {noteB3, q}, {noteC4, q}, {noteD4, q},
		{noteD4, q}, {noteC4, q}, {noteB3, q}, {noteA3, q},
		{noteG3, q}, {noteG3, q}, {noteA3, q}, {noteB3, q},
		{noteB3, q + q/2}, {noteA3, q / 2}, {noteA3, h},
		{0, h},
	}
}

// MusicOnHoldFreqs returns the pitches of the default tune (for detectors).
func MusicOnHoldFreqs() []float64 { return []float64{noteG3, noteA3, noteB3, noteC4, noteD4} }

// RenderTune synthesizes notes into a clip: each note a pure sine shaped by
// a 10 ms attack and release and an exponential decay (repeated notes stay
// distinct), peaking at peak (a fraction of full scale).
func RenderTune(notes []Note, peak float64) *Clip {
	total := 0
	for _, n := range notes {
		total += Samples(n.Duration)
	}
	out := make([]int16, total)
	var buf []int16
	at := 0
	attack := Samples(10 * time.Millisecond)
	for _, n := range notes {
		k := Samples(n.Duration)
		if n.Freq > 0 && k > 0 {
			buf = append(buf[:0], make([]int16, k)...)
			tone.New(n.Freq, SampleRate, peak).Fill(buf)
			for i := range k {
				env := math.Exp(-1.5 * float64(i) / float64(k)) // down to 22 % at the end
				if i < attack {
					env *= float64(i) / float64(attack)
				}
				if tail := k - i; tail < attack {
					env *= float64(tail) / float64(attack)
				}
				out[at+i] = int16(math.Round(env * float64(buf[i])))
			}
		}
		at += k
	}
	return NewClip(out)
}
