package tone

import (
	"encoding/binary"
	"math"
	"testing"
)

func samplesOf(b []byte) []int16 {
	out := make([]int16, len(b)/2)
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return out
}

func bytesOf(s []int16) []byte {
	b := make([]byte, 2*len(s))
	for i, v := range s {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

// FuzzAnalyse feeds arbitrary bytes as samples and arbitrary expected
// frequencies: Analyse must not panic, every number must be finite and a
// tone is never reported in silence.
func FuzzAnalyse(f *testing.F) {
	f.Add(bytesOf(tone(1400, 0.5, 800)), 1400.0)
	f.Add(bytesOf(mix(tone(1400, 0.5, 800), tone(2200, 0.5, 800))), 2200.0)
	f.Add([]byte{0xff, 0x7f, 0x00, 0x80}, 0.0)
	f.Add([]byte{1}, math.NaN())
	f.Add([]byte{}, math.Inf(1))
	f.Fuzz(func(t *testing.T, b []byte, freq float64) {
		s := samplesOf(b)
		det := NewDetector(Config{Freq: freq, Freqs: []float64{2 * freq, 1400}, Reject: []float64{2200, freq / 2, 1400}})
		r := det.Analyse(s)
		for name, v := range map[string]float64{"Level": r.Level, "Weakest": r.Weakest, "Noise": r.Noise, "RMS": r.RMS, "SNR": r.SNR, "Twist": r.Twist, "Rejected": r.Rejected} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%s = %v in %+v", name, v, r)
			}
		}
		if r.Present && (r.RMS < DefaultMinRMS || r.Reason != "") {
			t.Fatalf("present in silence: %+v", r)
		}
		if _, ok := Dominant(s, DefaultRate, []float64{freq, 1400}); ok && RMS(s) < DefaultMinRMS {
			t.Fatal("Dominant reported a tone in silence")
		}
	})
}
