package media

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"pbxlab/internal/tone"
)

// ToneKind names a call-progress tone of a tone plan.
type ToneKind string

// The tones every plan defines.
const (
	ToneDial         ToneKind = "dial"         // continuous: ready for digits
	ToneRingback     ToneKind = "ringback"     // the called party is alerted
	ToneBusy         ToneKind = "busy"         // the called party is busy
	ToneCongestion   ToneKind = "congestion"   // network busy (US "reorder"): no route, no resources
	ToneConfirmation ToneKind = "confirmation" // a service request was accepted (plays once)
	ToneCallWaiting  ToneKind = "call-waiting" // beep heard by a party in a call when a second call arrives
	ToneError        ToneKind = "error"        // special information tone: the call cannot be completed
)

// ToneKinds lists every kind, in a fixed order.
func ToneKinds() []ToneKind {
	return []ToneKind{ToneDial, ToneRingback, ToneBusy, ToneCongestion, ToneConfirmation, ToneCallWaiting, ToneError}
}

// Segment is one piece of a tone's cadence: the frequencies sounding
// together (none: silence) for a duration. Durations are whole milliseconds,
// so every boundary falls on an exact sample at 8 kHz.
type Segment struct {
	Freqs    []float64 // Hz; empty = silence
	Duration time.Duration
}

// ToneSpec is a tone: its cadence and level. A looping tone repeats its
// segments until the player stops it; a continuous tone is one looping
// segment.
type ToneSpec struct {
	Segments []Segment
	Loop     bool
	// Level is the level of each frequency in dBm0 (G.711: a full-scale sine
	// is +3.17 dBm0).
	Level float64
}

// Period returns the length of one pass of the cadence.
func (s ToneSpec) Period() time.Duration {
	var d time.Duration
	for _, seg := range s.Segments {
		d += seg.Duration
	}
	return d
}

// Freqs returns every frequency the tone uses, ascending.
func (s ToneSpec) Freqs() []float64 {
	var out []float64
	for _, seg := range s.Segments {
		for _, f := range seg.Freqs {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	sort.Float64s(out)
	return out
}

// Amplitude returns the peak of each frequency as a fraction of full scale.
func (s ToneSpec) Amplitude() float64 { return math.Pow(10, (s.Level-fullScaleDBm0)/20) }

// fullScaleDBm0 is the level of a full-scale sine in G.711 µ-law (G.711
// Table 5/6 and G.168: +3.17 dBm0; A-law +3.14, the difference is
// irrelevant here).
const fullScaleDBm0 = 3.17

// TonePlan is a national set of call-progress tones, chosen by
// media.tone_plan. It is immutable and safe for concurrent use.
type TonePlan struct {
	name     string
	tones    map[ToneKind]ToneSpec
	rendered map[ToneKind]renderedTone
}

// newPlan renders every tone of a plan once: playing a tone is then a copy
// from shared memory, whatever the number of calls.
func newPlan(name string, tones map[ToneKind]ToneSpec) *TonePlan {
	p := &TonePlan{name: name, tones: tones, rendered: make(map[ToneKind]renderedTone, len(tones))}
	for k, s := range tones {
		p.rendered[k] = renderTone(s)
	}
	return p
}

// TonePlanNames lists the built-in plans.
func TonePlanNames() []string { return []string{"cn", "us"} }

// TonePlanByName returns the built-in plan for media.tone_plan: "cn" or "us"
// (case-insensitive).
func TonePlanByName(name string) (*TonePlan, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "cn":
		return cnPlan(), nil
	case "us":
		return usPlan(), nil
	}
	return nil, fmt.Errorf("select tone plan %q (want one of %s): %w", name, strings.Join(TonePlanNames(), ", "), ErrUnknownTonePlan)
}

// Name returns the plan's name ("cn", "us").
func (p *TonePlan) Name() string { return p.name }

// Spec returns the definition of a tone.
func (p *TonePlan) Spec(kind ToneKind) (ToneSpec, error) {
	s, ok := p.tones[kind]
	if !ok {
		return ToneSpec{}, fmt.Errorf("tone %q of plan %s: %w", kind, p.name, ErrUnknownTone)
	}
	return s, nil
}

// Tone returns a new Source playing the tone: endless for a looping tone
// (the player stops it), one pass for the others (confirmation).
func (p *TonePlan) Tone(kind ToneKind) (Source, error) {
	r, ok := p.rendered[kind]
	if !ok {
		return nil, fmt.Errorf("tone %q of plan %s: %w", kind, p.name, ErrUnknownTone)
	}
	return r.source(), nil
}

// ms is a duration in milliseconds (the unit of every cadence table).
func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// cadence builds segments from alternating on/off milliseconds of one set
// of frequencies: cadence(f, 350, 350) is 350 ms on, 350 ms off.
func cadence(freqs []float64, onOff ...int) []Segment {
	segs := make([]Segment, 0, len(onOff))
	for i, d := range onOff {
		seg := Segment{Duration: ms(d)}
		if i%2 == 0 {
			seg.Freqs = freqs
		}
		segs = append(segs, seg)
	}
	return segs
}

// sitSegments is the special information tone of ITU-T E.180 §6 / Q.35:
// 950, 1400 and 1800 Hz, 330 ms each in rising order, then 1 s of silence.
func sitSegments() []Segment {
	return []Segment{
		{Freqs: []float64{950}, Duration: ms(330)},
		{Freqs: []float64{1400}, Duration: ms(330)},
		{Freqs: []float64{1800}, Duration: ms(330)},
		{Duration: ms(1000)},
	}
}

// usPlan is the North American plan. Frequencies, cadences and levels are
// the AT&T "Precise Tone Plan" (Telcordia GR-506-CORE), as listed in the
// US entry of ITU-T E.180 Supplement 2 ("Various tones used in national
// networks") and in Asterisk's indications.conf [us] zone:
//   - dial 350+440 Hz continuous, -13 dBm0 per frequency;
//   - audible ringing 440+480 Hz, 2 s on 4 s off, -19 dBm0;
//   - busy (line busy) 480+620 Hz, 0.5 s on 0.5 s off, -24 dBm0;
//   - reorder (congestion) 480+620 Hz, 0.25 s on 0.25 s off, -24 dBm0;
//   - confirmation 350+440 Hz, 3 × (0.1 s on 0.1 s off), once, -13 dBm0;
//   - call waiting 440 Hz, 0.3 s, repeated every 10 s (GR-506: one burst,
//     a second one 10 s later; Asterisk: 300 on 10000 off), -13 dBm0;
//   - error: the special information tone (see sitSegments), -13 dBm0.
func usPlan() *TonePlan {
	dial, ring, busy := []float64{350, 440}, []float64{440, 480}, []float64{480, 620}
	return newPlan("us", map[ToneKind]ToneSpec{
		ToneDial:         {Segments: cadence(dial, 1000), Loop: true, Level: -13},
		ToneRingback:     {Segments: cadence(ring, 2000, 4000), Loop: true, Level: -19},
		ToneBusy:         {Segments: cadence(busy, 500, 500), Loop: true, Level: -24},
		ToneCongestion:   {Segments: cadence(busy, 250, 250), Loop: true, Level: -24},
		ToneConfirmation: {Segments: cadence(dial, 100, 100, 100, 100, 100, 100), Level: -13},
		ToneCallWaiting:  {Segments: cadence([]float64{440}, 300, 9700), Loop: true, Level: -13},
		ToneError:        {Segments: sitSegments(), Loop: true, Level: -13},
	})
}

// cnPlan is the plan of China, from the China entry of ITU-T E.180
// Supplement 2 (the same values as Asterisk's indications.conf [cn] zone),
// every tone 450 Hz:
//   - dial continuous;
//   - ringback 1 s on 4 s off;
//   - busy 0.35 s on 0.35 s off;
//   - congestion 0.7 s on 0.7 s off;
//   - call waiting 0.4 s on 4 s off;
//   - error: the "vacant number" tone, 3 × (0.1 s on 0.1 s off) then
//     0.4 s on 0.4 s off, repeated;
//   - confirmation: the Supplement gives China none; pbxlab uses the US
//     pattern, 3 × (0.1 s on 0.1 s off) once, at 450 Hz. It differs from the
//     error tone, which goes on with a 0.4 s burst and repeats.
//
// The Supplement sets no level per tone; pbxlab plays every CN tone at
// -13 dBm0, inside the -10..-20 dBm0 range E.180 §2 recommends.
func cnPlan() *TonePlan {
	f := []float64{450}
	return newPlan("cn", map[ToneKind]ToneSpec{
		ToneDial:         {Segments: cadence(f, 1000), Loop: true, Level: -13},
		ToneRingback:     {Segments: cadence(f, 1000, 4000), Loop: true, Level: -13},
		ToneBusy:         {Segments: cadence(f, 350, 350), Loop: true, Level: -13},
		ToneCongestion:   {Segments: cadence(f, 700, 700), Loop: true, Level: -13},
		ToneConfirmation: {Segments: cadence(f, 100, 100, 100, 100, 100, 100), Level: -13},
		ToneCallWaiting:  {Segments: cadence(f, 400, 4000), Loop: true, Level: -13},
		ToneError:        {Segments: cadence(f, 100, 100, 100, 100, 100, 100, 400, 400), Loop: true, Level: -13},
	})
}

// NewToneSource returns a Source playing spec (it renders one pass of the
// cadence; TonePlan renders its tones once and shares them).
func NewToneSource(spec ToneSpec) Source { return renderTone(spec).source() }

// renderedTone is one pass of a tone's cadence, synthesized.
type renderedTone struct {
	clip *Clip
	loop bool
}

func (r renderedTone) source() Source {
	if r.loop {
		return Looping(r.clip.Source())
	}
	return r.clip.Source()
}

// renderTone synthesizes one pass of spec. Each segment boundary falls on
// its exact sample (Samples(seg.Duration) samples per segment), silence is
// exact zeros, and a segment that continues the previous one's frequencies
// keeps the oscillators' phase. Each segment is rendered in one piece, so
// the samples never depend on how a reader frames them. A continuous tone
// (one segment, looping) loops without a click when its segment holds
// whole cycles of every frequency: true of any whole-Hz frequency over a
// whole number of seconds, as every built-in continuous tone is.
func renderTone(spec ToneSpec) renderedTone {
	amp := spec.Amplitude()
	total := 0
	for _, seg := range spec.Segments {
		total += Samples(seg.Duration)
	}
	out := make([]int16, total)
	var (
		gen  *tone.Chord
		prev []float64
		at   int
	)
	for _, seg := range spec.Segments {
		n := Samples(seg.Duration)
		switch {
		case len(seg.Freqs) == 0:
			gen = nil // out is already zero
		case gen != nil && slices.Equal(prev, seg.Freqs):
			gen.Fill(out[at : at+n])
		default:
			gen = tone.NewChord(SampleRate, amp*float64(len(seg.Freqs)), seg.Freqs...)
			gen.Fill(out[at : at+n])
		}
		prev = seg.Freqs
		at += n
	}
	return renderedTone{clip: NewClip(out), loop: spec.Loop}
}
