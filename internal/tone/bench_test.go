package tone

import "testing"

// BenchmarkAnalyseBlock is one decision of the old single-tone audio check:
// a 200 ms block (the phones' default window) of µ-law audio, one expected
// and one rejected frequency.
func BenchmarkAnalyseBlock(b *testing.B) {
	block := ulaw(tone(1175, 0.3, 1600))
	det := NewDetector(Config{Freq: 1175, Reject: []float64{2315}})
	b.ReportAllocs()
	for b.Loop() {
		if !det.Analyse(block).Present {
			b.Fatal("not present")
		}
	}
}

// BenchmarkAnalyseChord is one decision of the identity check: 200 ms of
// µ-law, two expected and two rejected frequencies.
func BenchmarkAnalyseChord(b *testing.B) {
	block := ulaw(chord(1600, 0.3, 1400, 2650))
	det := NewDetector(Config{Freqs: []float64{1400, 2650}, Reject: []float64{1250, 2550}})
	b.ReportAllocs()
	for b.Loop() {
		if !det.Analyse(block).Present {
			b.Fatal("not present")
		}
	}
}

// BenchmarkFillFrame is one 20 ms packet of a phone's audio: the old single
// tone and the identity's two-tone chord.
func BenchmarkFillFrame(b *testing.B) {
	buf := make([]int16, 160)
	b.Run("tone", func(b *testing.B) {
		g := New(1175, rate, 0.3)
		for b.Loop() {
			g.Fill(buf)
		}
	})
	b.Run("chord", func(b *testing.B) {
		c := NewChord(rate, 0.3, 1400, 2650)
		for b.Loop() {
			c.Fill(buf)
		}
	})
}
