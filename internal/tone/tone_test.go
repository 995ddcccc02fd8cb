package tone

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/zaf/g711"
)

const rate = 8000

// tone returns n samples of a sine at f with peak amplitude amp.
func tone(f, amp float64, n int) []int16 {
	buf := make([]int16, n)
	New(f, rate, amp).Fill(buf)
	return buf
}

func mix(blocks ...[]int16) []int16 {
	out := make([]int16, len(blocks[0]))
	for _, b := range blocks {
		for i, v := range b {
			out[i] += v
		}
	}
	return out
}

func noise(amp float64, n int) []int16 {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]int16, n)
	for i := range out {
		out[i] = int16((rng.Float64()*2 - 1) * amp * math.MaxInt16)
	}
	return out
}

func ulaw(in []int16) []int16 {
	out := make([]int16, len(in))
	for i, v := range in {
		out[i] = g711.DecodeUlawFrame(g711.EncodeUlawFrame(v))
	}
	return out
}

func alaw(in []int16) []int16 {
	out := make([]int16, len(in))
	for i, v := range in {
		out[i] = g711.DecodeAlawFrame(g711.EncodeAlawFrame(v))
	}
	return out
}

func TestGeneratorContinuousPhase(t *testing.T) {
	whole := tone(1400, 0.5, 480)
	g := New(1400, rate, 0.5)
	parts := make([]int16, 480)
	for i := 0; i < 480; i += 160 {
		g.Fill(parts[i : i+160])
	}
	for i := range whole {
		if d := int(whole[i]) - int(parts[i]); d < -1 || d > 1 {
			t.Fatalf("sample %d: %d in one call, %d across calls", i, whole[i], parts[i])
		}
	}
	if rms := RMS(whole); math.Abs(rms-0.5/math.Sqrt2) > 0.01 {
		t.Fatalf("RMS of a 0.5 sine = %v", rms)
	}
}

func TestPower(t *testing.T) {
	s := tone(1400, 0.5, 3200)
	if p, want := Power(s, 1400, rate), 0.125; math.Abs(p-want) > 0.005 {
		t.Fatalf("Power at 1400 = %v, want about %v", p, want)
	}
	if p := Power(s, 2200, rate); p > 1e-6 {
		t.Fatalf("Power at 2200 of a 1400 tone = %v", p)
	}
	for _, bad := range []struct {
		f float64
		r int
	}{{0, rate}, {4000, rate}, {-5, rate}, {math.NaN(), rate}, {math.Inf(1), rate}, {1000, 0}} {
		if p := Power(s, bad.f, bad.r); p != 0 {
			t.Errorf("Power(f=%v, rate=%d) = %v, want 0", bad.f, bad.r, p)
		}
	}
}

func TestAnalyse(t *testing.T) {
	const n = 3200 // 400 ms
	det := NewDetector(Config{Freq: 1400, Rate: rate, Reject: []float64{2200}})
	tests := []struct {
		name    string
		samples []int16
		present bool
		reason  string
	}{
		{"clean tone", tone(1400, 0.5, n), true, ""},
		{"quiet tone at -30 dBFS", tone(1400, 0.045, n), true, ""},
		{"after mu-law round trip", ulaw(tone(1400, 0.5, n)), true, ""},
		{"after A-law round trip", alaw(tone(1400, 0.5, n)), true, ""},
		{"mu-law with a faint echo of the own tone", ulaw(mix(tone(1400, 0.5, n), tone(2200, 0.05, n))), true, ""},
		{"tone in moderate noise", mix(tone(1400, 0.5, n), noise(0.1, n)), true, ""},
		{"silence", make([]int16, n), false, "silence"},
		{"mu-law silence", ulaw(make([]int16, n)), false, "silence"},
		{"A-law silence", alaw(make([]int16, n)), false, "silence"},
		{"empty", nil, false, "no audio"},
		{"white noise", noise(0.5, n), false, "expected tone not above noise"},
		{"wrong frequency", alaw(tone(1000, 0.5, n)), false, "expected tone not above noise"},
		{"rejected frequency dominates", mix(tone(2200, 0.5, n), tone(1400, 0.1, n)), false, "expected tone not above noise"},
		{"rejected frequency as loud", mix(tone(2200, 0.3, n), tone(1400, 0.3, n)), false, "expected tone not above noise"},
		{"rejected frequency just under margin", ulaw(mix(tone(1400, 0.5, n), tone(2200, 0.2, n))), false, "rejected frequency present"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := det.Analyse(tt.samples)
			if r.Present != tt.present || r.Reason != tt.reason {
				t.Fatalf("Analyse = %+v, want present=%v reason=%q", r, tt.present, tt.reason)
			}
		})
	}
}

func TestDominant(t *testing.T) {
	cands := []float64{1000, 1400, 2200}
	tests := []struct {
		name    string
		samples []int16
		want    float64
		ok      bool
	}{
		{"1400", ulaw(tone(1400, 0.5, 1600)), 1400, true},
		{"2200 over a weak 1400", mix(tone(2200, 0.5, 1600), tone(1400, 0.1, 1600)), 2200, true},
		{"even mix", mix(tone(2200, 0.3, 1600), tone(1400, 0.3, 1600)), 0, false},
		{"silence", make([]int16, 1600), 0, false},
		{"noise", noise(0.5, 1600), 0, false},
		{"not a candidate", tone(600, 0.5, 1600), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := Dominant(tt.samples, rate, cands)
			if ok != tt.ok || (ok && f != tt.want) {
				t.Fatalf("Dominant = %v, %v; want %v, %v", f, ok, tt.want, tt.ok)
			}
		})
	}
}

func chord(n int, amp float64, freqs ...float64) []int16 {
	buf := make([]int16, n)
	NewChord(rate, amp, freqs...).Fill(buf)
	return buf
}

func TestChordGenerator(t *testing.T) {
	s := chord(3200, 0.3, 700, 2300)
	peak := 0
	for _, v := range s {
		peak = max(peak, int(v), -int(v))
	}
	if peak > 9831 { // 0.3 of full scale
		t.Errorf("peak %d above the amplitude", peak)
	}
	for _, f := range []float64{700, 2300} {
		if p := Power(s, f, rate); math.Abs(p-0.01125) > 0.0005 {
			t.Errorf("power at %v = %v, want 0.15²/2", f, p)
		}
	}
	whole := chord(480, 0.3, 700, 2300)
	c := NewChord(rate, 0.3, 700, 2300)
	parts := make([]int16, 480)
	for i := 0; i < 480; i += 160 {
		c.Fill(parts[i : i+160])
	}
	for i := range whole {
		if d := int(whole[i]) - int(parts[i]); d < -1 || d > 1 {
			t.Fatalf("sample %d: %d in one call, %d across calls", i, whole[i], parts[i])
		}
	}
	if z := chord(160, 0.3); RMS(z) != 0 {
		t.Error("a chord of no tones is not silence")
	}
	// A minute of packets later the phasors have neither drifted in phase
	// nor in amplitude: the next frame is the exact sum of sines.
	long := NewChord(rate, 0.3, 700, 2300)
	frame := make([]int16, 160)
	const frames = 3000
	for range frames {
		long.Fill(frame)
	}
	long.Fill(frame)
	amp := 0.15 * math.MaxInt16
	for i, got := range frame {
		n := float64(frames*160 + i)
		want := amp*math.Sin(2*math.Pi*700*n/rate) + amp*math.Sin(2*math.Pi*2300*n/rate)
		if math.Abs(float64(got)-want) > 2 {
			t.Fatalf("sample %d after a minute: %d, want %.1f", i, got, want)
		}
	}
}

func TestPowersMatchesPower(t *testing.T) {
	s := ulaw(chord(1600, 0.3, 700, 2300))
	freqs := []float64{700, 2300, 1200, 0, 4000, 650, 700, 100, 200, 3000} // more than maxStack
	got := Powers(s, rate, freqs, make([]float64, len(freqs)))
	for i, f := range freqs {
		if want := Power(s, f, rate); math.Abs(got[i]-want) > 1e-12 {
			t.Errorf("Powers[%v] = %v, Power = %v", f, got[i], want)
		}
	}
	if got[3] != 0 || got[4] != 0 {
		t.Errorf("out-of-band frequencies got power: %v", got)
	}
}

// TestAnalyseChord: both tones of a chord must be there, balanced, and the
// listener's own tones absent; a tone both expected and rejected counts as
// expected.
func TestAnalyseChord(t *testing.T) {
	const n = 1600
	det := NewDetector(Config{Freqs: []float64{700, 2300}, Reject: []float64{750, 2350}})
	tests := []struct {
		name    string
		samples []int16
		present bool
		reason  string
	}{
		{"the chord", ulaw(chord(n, 0.3, 700, 2300)), true, ""},
		{"A-law chord", alaw(chord(n, 0.3, 700, 2300)), true, ""},
		{"one tone only", ulaw(chord(n, 0.15, 700)), false, "expected tone missing from the chord"},
		{"one tone right, one wrong", ulaw(chord(n, 0.3, 700, 2400)), false, "expected tone not above noise"},
		{"the listener's own chord", ulaw(chord(n, 0.3, 750, 2350)), false, "expected tone not above noise"},
		{"own chord mixed in as loud", mix(chord(n, 0.3, 700, 2300), chord(n, 0.3, 750, 2350)), false, "expected tone not above noise"},
		{"own chord 12 dB down", ulaw(mix(chord(n, 0.3, 700, 2300), chord(n, 0.075, 750, 2350))), true, ""},
		{"own chord 8 dB down", ulaw(mix(chord(n, 0.4, 700, 2300), chord(n, 0.16, 750, 2350))), false, "rejected frequency present"},
		{"silence", ulaw(make([]int16, n)), false, "silence"},
		{"a single non-table tone", ulaw(tone(1000, 0.3, n)), false, "expected tone not above noise"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := det.Analyse(tt.samples)
			if r.Present != tt.present || r.Reason != tt.reason {
				t.Fatalf("Analyse = %+v, want present=%v reason=%q", r, tt.present, tt.reason)
			}
		})
	}
	shared := NewDetector(Config{Freqs: []float64{700, 2300}, Reject: []float64{700, 2350}})
	if r := shared.Analyse(ulaw(chord(n, 0.3, 700, 2300))); !r.Present {
		t.Errorf("a tone shared by the expected and the own chord was rejected: %+v", r)
	}
	if got := shared.Freqs(); len(got) != 2 || shared.Freq() != 700 {
		t.Errorf("Freqs = %v", got)
	}
	if r := NewDetector(Config{}).Analyse(ulaw(chord(n, 0.3, 700))); r.Present {
		t.Errorf("a detector expecting nothing found something: %+v", r)
	}
}
