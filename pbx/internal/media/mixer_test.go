package media

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"pbxlab/internal/tone"
)

func frames(n, size int) [][]int16 {
	out := make([][]int16, n)
	for i := range out {
		out[i] = make([]int16, size)
	}
	return out
}

func TestMixExact(t *testing.T) {
	m := NewMixer()
	in := [][]int16{{1, 100, -5}, {2, 200, -6}, nil, {4, 400, -7}}
	out := frames(4, 3)
	if err := m.Mix(in, out); err != nil {
		t.Fatal(err)
	}
	want := [][]int16{{6, 600, -13}, {5, 500, -12}, {7, 700, -18}, {3, 300, -11}}
	for i := range out {
		if !slices.Equal(out[i], want[i]) {
			t.Errorf("party %d hears %v, want %v", i, out[i], want[i])
		}
	}
	if m.Gain() != 1 {
		t.Errorf("gain %v for a quiet mix", m.Gain())
	}
	// Nobody listening for a party: its output slot may be nil.
	out[1] = nil
	if err := m.Mix(in, out); err != nil || !slices.Equal(out[0], want[0]) {
		t.Fatalf("nil output: %v %v", out[0], err)
	}
	// All silent: silence.
	if err := m.Mix([][]int16{nil, nil}, frames(2, 3)); err != nil {
		t.Fatal(err)
	}
	if err := m.Mix(nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestMixErrors(t *testing.T) {
	m := NewMixer()
	if err := m.Mix(frames(2, 160), frames(3, 160)); !errors.Is(err, ErrMixer) {
		t.Fatalf("count mismatch: %v", err)
	}
	if err := m.Mix([][]int16{make([]int16, 160), make([]int16, 80)}, frames(2, 160)); !errors.Is(err, ErrMixer) {
		t.Fatalf("length mismatch: %v", err)
	}
	if err := m.Mix(frames(2, 160), [][]int16{make([]int16, 160), make([]int16, 161)}); !errors.Is(err, ErrMixer) {
		t.Fatalf("output length mismatch: %v", err)
	}
}

func TestMixSaturatesWithoutAGC(t *testing.T) {
	m := NewMixer(WithAGC(false))
	in := [][]int16{{30000, -30000}, {30000, -30000}, {30000, -30000}}
	out := frames(3, 2)
	if err := m.Mix(in, out); err != nil {
		t.Fatal(err)
	}
	for i := range out {
		if out[i][0] != math.MaxInt16 || out[i][1] != math.MinInt16 {
			t.Fatalf("party %d: %v, want saturation", i, out[i])
		}
	}
}

// TestMixAGC: ten loud talkers never clip with AGC; once they stop the
// gain climbs back at MixerReleaseDB per second, never overshooting 1.
func TestMixAGC(t *testing.T) {
	const n = 10
	m := NewMixer()
	gens := make([]*tone.Generator, n)
	for i := range gens {
		gens[i] = tone.New(500+float64(i)*100, SampleRate, 0.3)
	}
	in, out := frames(n, FrameSamples), frames(n+1, FrameSamples)
	in = append(in, nil) // a listener
	for range 50 {
		for i, g := range gens {
			g.Fill(in[i])
		}
		if err := m.Mix(in, out); err != nil {
			t.Fatal(err)
		}
		for i, o := range out {
			for _, v := range o {
				if v > MixerLimit || v < -MixerLimit {
					t.Fatalf("party %d hears %d with AGC", i, v)
				}
			}
		}
	}
	loud := m.Gain()
	if loud >= 0.5 {
		t.Fatalf("gain %v with ten talkers at -10 dBFS", loud)
	}
	quiet := frames(n+1, FrameSamples)
	quiet[n] = nil
	prev := loud
	frameDB := MixerReleaseDB * FrameSamples / SampleRate
	for range 1000 {
		if err := m.Mix(quiet, out); err != nil {
			t.Fatal(err)
		}
		g := m.Gain()
		if g < prev || g > 1 {
			t.Fatalf("gain went %v -> %v", prev, g)
		}
		if g < 1 && math.Abs(20*math.Log10(g/prev)-frameDB) > 1e-9 {
			t.Fatalf("gain rose %.4f dB in a frame, want %.4f", 20*math.Log10(g/prev), frameDB)
		}
		prev = g
	}
	if prev != 1 {
		t.Fatalf("gain %v after 20 s of silence", prev)
	}
}

// conferenceFreq is party i's tone: 95 Hz apart from 410 Hz up (far more
// than the 10 Hz a 200 ms Goertzel block resolves), 32 of them inside the
// telephone band.
func conferenceFreq(i int) float64 { return 410 + 95*float64(i) }

// TestMixTonesPerParty: N parties (3, 10, 32) each send their own tone;
// each party's output holds every other party's tone and not its own
// (Goertzel on 200 ms of the mix, AGC on).
func TestMixTonesPerParty(t *testing.T) {
	for _, n := range []int{3, 10, 32} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			m := NewMixer()
			freqs := make([]float64, n)
			gens := make([]*tone.Generator, n)
			for i := range n {
				freqs[i] = conferenceFreq(i)
				gens[i] = tone.New(freqs[i], SampleRate, 0.2)
			}
			if top := freqs[n-1]; top > 3400 {
				t.Fatalf("party tone %v Hz outside the band", top)
			}
			in, out := frames(n, FrameSamples), frames(n, FrameSamples)
			heard := make([][]int16, n)
			for range 10 {
				for i, g := range gens {
					g.Fill(in[i])
				}
				if err := m.Mix(in, out); err != nil {
					t.Fatal(err)
				}
				for i := range n {
					heard[i] = append(heard[i], out[i]...)
				}
			}
			pow := make([]float64, n)
			for j := range n {
				tone.Powers(heard[j], SampleRate, freqs, pow)
				weakest := math.Inf(1)
				for i, p := range pow {
					if i != j {
						weakest = min(weakest, p)
					}
				}
				// Each tone reaches the listener at amplitude 0.2 × gain.
				want := 0.2 * 0.2 / 2 * m.Gain() * m.Gain()
				if weakest < want/4 {
					t.Fatalf("party %d: weakest other tone %.2e, want about %.2e", j, weakest, want)
				}
				if tone.DB(weakest, pow[j]) < 40 {
					t.Fatalf("party %d hears its own tone: %.2e vs others' %.2e", j, pow[j], weakest)
				}
				if n <= 10 {
					det := tone.NewDetector(tone.Config{Freqs: slices.Delete(slices.Clone(freqs), j, j+1), Reject: []float64{freqs[j]}, MaxTwist: 6})
					if r := det.Analyse(heard[j]); !r.Present {
						t.Fatalf("party %d: %s", j, r.Reason)
					}
				}
			}
		})
	}
}

// BenchmarkMix reports the cost of one 20 ms frame per party, all parties
// talking (the worst case: no shared output).
func BenchmarkMix(b *testing.B) {
	for _, n := range []int{3, 10, 32, 100} {
		b.Run(fmt.Sprintf("parties=%d", n), func(b *testing.B) {
			m := NewMixer()
			in, out := frames(n, FrameSamples), frames(n, FrameSamples)
			for i := range n {
				tone.New(conferenceFreq(i%32), SampleRate, 0.2).Fill(in[i])
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := m.Mix(in, out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/party-frame")
		})
	}
}
