package media

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"pbxlab/internal/tone"
)

// allPlanFreqs is every frequency any built-in plan uses.
func allPlanFreqs(t *testing.T) []float64 {
	t.Helper()
	var out []float64
	for _, name := range TonePlanNames() {
		p, err := TonePlanByName(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range ToneKinds() {
			s, err := p.Spec(k)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range s.Freqs() {
				if !slices.Contains(out, f) {
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// TestTonePlanValues pins the published values (E.180 Supplement 2, the US
// Precise Tone Plan): frequencies and on/off cadences in milliseconds.
func TestTonePlanValues(t *testing.T) {
	type want struct {
		freqs  []float64
		onOff  []int // ms of each segment
		loop   bool
		perSeg [][]float64
	}
	cases := map[string]map[ToneKind]want{
		"us": {
			ToneDial:         {freqs: []float64{350, 440}, onOff: []int{1000}, loop: true},
			ToneRingback:     {freqs: []float64{440, 480}, onOff: []int{2000, 4000}, loop: true},
			ToneBusy:         {freqs: []float64{480, 620}, onOff: []int{500, 500}, loop: true},
			ToneCongestion:   {freqs: []float64{480, 620}, onOff: []int{250, 250}, loop: true},
			ToneConfirmation: {freqs: []float64{350, 440}, onOff: []int{100, 100, 100, 100, 100, 100}},
			ToneCallWaiting:  {freqs: []float64{440}, onOff: []int{300, 9700}, loop: true},
			ToneError: {freqs: []float64{950, 1400, 1800}, onOff: []int{330, 330, 330, 1000}, loop: true,
				perSeg: [][]float64{{950}, {1400}, {1800}, nil}},
		},
		"cn": {
			ToneDial:         {freqs: []float64{450}, onOff: []int{1000}, loop: true},
			ToneRingback:     {freqs: []float64{450}, onOff: []int{1000, 4000}, loop: true},
			ToneBusy:         {freqs: []float64{450}, onOff: []int{350, 350}, loop: true},
			ToneCongestion:   {freqs: []float64{450}, onOff: []int{700, 700}, loop: true},
			ToneConfirmation: {freqs: []float64{450}, onOff: []int{100, 100, 100, 100, 100, 100}},
			ToneCallWaiting:  {freqs: []float64{450}, onOff: []int{400, 4000}, loop: true},
			ToneError:        {freqs: []float64{450}, onOff: []int{100, 100, 100, 100, 100, 100, 400, 400}, loop: true},
		},
	}
	for name, tones := range cases {
		p, err := TonePlanByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name() != name {
			t.Errorf("plan %s named %s", name, p.Name())
		}
		for kind, w := range tones {
			s, err := p.Spec(kind)
			if err != nil {
				t.Fatalf("%s %s: %v", name, kind, err)
			}
			if !slices.Equal(s.Freqs(), w.freqs) || s.Loop != w.loop {
				t.Errorf("%s %s: freqs %v loop %v, want %v %v", name, kind, s.Freqs(), s.Loop, w.freqs, w.loop)
			}
			var got []int
			for i, seg := range s.Segments {
				got = append(got, int(seg.Duration.Milliseconds()))
				if w.perSeg != nil && !slices.Equal(seg.Freqs, w.perSeg[i]) {
					t.Errorf("%s %s segment %d: %v, want %v", name, kind, i, seg.Freqs, w.perSeg[i])
				}
			}
			if !slices.Equal(got, w.onOff) {
				t.Errorf("%s %s: cadence %v ms, want %v", name, kind, got, w.onOff)
			}
		}
	}
}

func TestTonePlanByName(t *testing.T) {
	for _, name := range []string{"cn", "US", " us "} {
		if _, err := TonePlanByName(name); err != nil {
			t.Errorf("%q: %v", name, err)
		}
	}
	for _, name := range []string{"", "uk", "c n"} {
		if _, err := TonePlanByName(name); !errors.Is(err, ErrUnknownTonePlan) {
			t.Errorf("%q: %v, want ErrUnknownTonePlan", name, err)
		}
	}
	p, _ := TonePlanByName("us")
	if _, err := p.Tone("howler"); !errors.Is(err, ErrUnknownTone) {
		t.Errorf("unknown tone: %v", err)
	}
}

// TestToneCadenceAndFrequencies renders every tone of every plan over
// several periods and checks, segment by segment: silence is exact zeros;
// a tone segment starts on its exact sample (the sample before is silence,
// the generator's first sample is its zero phase, the next is not zero) and
// ends on its exact sample (its last sample is not zero, the next segment
// starts); Goertzel finds the segment's frequencies and none of the other
// frequencies any plan uses.
func TestToneCadenceAndFrequencies(t *testing.T) {
	every := allPlanFreqs(t)
	for _, name := range TonePlanNames() {
		p, _ := TonePlanByName(name)
		for _, kind := range ToneKinds() {
			t.Run(fmt.Sprintf("%s/%s", name, kind), func(t *testing.T) {
				spec, _ := p.Spec(kind)
				src, _ := p.Tone(kind)
				period := Samples(spec.Period())
				passes := 1
				if spec.Loop {
					passes = 3
				}
				got := readAll(t, src, FrameSamples, passes*period+1)
				if !spec.Loop && len(got) != period {
					t.Fatalf("one-shot tone: %d samples, want %d", len(got), period)
				}
				if spec.Loop && len(got) < passes*period {
					t.Fatalf("looping tone ended after %d samples", len(got))
				}
				start := 0
				for pass := range passes {
					for i, seg := range spec.Segments {
						n := Samples(seg.Duration)
						block := got[start : start+n]
						where := fmt.Sprintf("pass %d segment %d [%d,%d)", pass, i, start, start+n)
						checkSegment(t, where, block, seg.Freqs, every, start > 0 && got[start-1] == 0)
						start += n
					}
				}
			})
		}
	}
}

func checkSegment(t *testing.T, where string, block []int16, freqs, every []float64, afterSilence bool) {
	t.Helper()
	if len(freqs) == 0 {
		for j, v := range block {
			if v != 0 {
				t.Fatalf("%s: silence has sample %d = %d", where, j, v)
			}
		}
		return
	}
	if afterSilence && (block[0] != 0 || block[1] == 0) {
		t.Fatalf("%s: tone does not start on its sample: %d %d", where, block[0], block[1])
	}
	if block[len(block)-1] == 0 {
		t.Fatalf("%s: tone's last sample is zero", where)
	}
	for j := 1; j+2 < len(block); j++ {
		if block[j] == 0 && block[j+1] == 0 && block[j+2] == 0 {
			t.Fatalf("%s: three zero samples at %d inside a tone", where, j)
		}
	}
	// Reject every other frequency a plan uses, unless it is too close to
	// one of the segment's for this block to separate (the Hann window's
	// main lobe is 2 bins wide each side: 20 Hz in a 100 ms block).
	var reject []float64
	lobe := 2.5 * SampleRate / float64(len(block))
	for _, f := range every {
		near := false
		for _, g := range freqs {
			near = near || math.Abs(f-g) <= lobe
		}
		if !near {
			reject = append(reject, f)
		}
	}
	det := tone.NewDetector(tone.Config{Freqs: freqs, Reject: reject})
	if r := det.Analyse(block); !r.Present {
		t.Fatalf("%s: %v not detected: %s (%+v)", where, freqs, r.Reason, r)
	}
}

// TestToneFrameSizeIndependent: the samples do not depend on how the
// reader slices them.
func TestToneFrameSizeIndependent(t *testing.T) {
	for _, name := range TonePlanNames() {
		p, _ := TonePlanByName(name)
		for _, kind := range ToneKinds() {
			a, _ := p.Tone(kind)
			b, _ := p.Tone(kind)
			x := readAll(t, a, FrameSamples, 48000)
			y := readAll(t, b, 37, 48000)[:len(x)]
			if !slices.Equal(x, y) {
				t.Errorf("%s %s: frames of 160 and 37 differ", name, kind)
			}
			if err := a.(Rewinder).Rewind(); err != nil {
				t.Fatal(err)
			}
			if z := readAll(t, a, 1000, 48000)[:len(x)]; !slices.Equal(x, z) {
				t.Errorf("%s %s: rewound tone differs", name, kind)
			}
		}
	}
}

// TestContinuousToneHasNoClick: the dial tone's one-second segment holds
// whole cycles, so the loop repeats it exactly and the sample after the
// seam is the one the oscillators would have produced next.
func TestContinuousToneHasNoClick(t *testing.T) {
	for _, name := range TonePlanNames() {
		p, _ := TonePlanByName(name)
		spec, _ := p.Spec(ToneDial)
		src, _ := p.Tone(ToneDial)
		got := readAll(t, src, FrameSamples, 2*SampleRate)[:2*SampleRate]
		if !slices.Equal(got[:SampleRate], got[SampleRate:]) {
			t.Fatalf("%s: the dial tone's second pass differs", name)
		}
		next := make([]int16, SampleRate+1)
		tone.NewChord(SampleRate, float64(len(spec.Freqs()))*spec.Amplitude(), spec.Freqs()...).Fill(next)
		if d := int(next[SampleRate]) - int(got[0]); d < -1 || d > 1 {
			t.Fatalf("%s: the continuous oscillators would give %d after the seam, the loop gives %d", name, next[SampleRate], got[0])
		}
	}
}

func TestToneLevel(t *testing.T) {
	s := ToneSpec{Level: fullScaleDBm0}
	if a := s.Amplitude(); a < 0.999 || a > 1.001 {
		t.Fatalf("full scale amplitude %v", a)
	}
	s.Level = fullScaleDBm0 - 20
	if a := s.Amplitude(); a < 0.0999 || a > 0.1001 {
		t.Fatalf("-20 dB amplitude %v", a)
	}
	// The loudest built-in tone never clips.
	for _, name := range TonePlanNames() {
		p, _ := TonePlanByName(name)
		for _, k := range ToneKinds() {
			spec, _ := p.Spec(k)
			if peak := spec.Amplitude() * float64(len(spec.Freqs())); peak > 0.5 {
				t.Errorf("%s %s peaks at %.2f of full scale", name, k, peak)
			}
		}
	}
}

func TestEmptyToneSpec(t *testing.T) {
	if got := readAll(t, NewToneSource(ToneSpec{Loop: true}), 160, 1000); len(got) != 0 {
		t.Fatalf("empty spec produced %d samples", len(got))
	}
}
