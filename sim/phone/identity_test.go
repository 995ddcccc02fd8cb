package phone

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/zaf/g711"

	"pbxlab/internal/tone"
)

// signalTones are what a PBX or a foreign device may play: call progress,
// DTMF, test tones, fax/modem and signalling tones. No identity tone may be
// within 20 Hz of one.
var signalTones = []float64{350, 400, 425, 440, 450, 480, 620, 697, 770, 852, 941, 1209, 1336, 1477, 1633,
	1000, 1004, 1020, 1100, 1300, 2100, 2225, 2600}

func TestIdentityTables(t *testing.T) {
	all := append(slices.Clone(identityLow[:]), identityHigh[:]...)
	if !slices.IsSorted(all) {
		t.Fatal("tables not sorted low to high")
	}
	for i, f := range all {
		if math.Mod(f, 50) != 0 {
			t.Errorf("%v Hz is not a multiple of 50 Hz: a lost 20 ms packet would shift its phase", f)
		}
		if i > 0 && f-all[i-1] < 50 {
			t.Errorf("%v and %v Hz are closer than 50 Hz", all[i-1], f)
		}
		if f < 500 || f > 3350 {
			t.Errorf("%v Hz is outside the telephone band we use", f)
		}
		for _, s := range signalTones {
			if math.Abs(f-s) < 20 {
				t.Errorf("%v Hz is within 20 Hz of the signalling tone %v Hz", f, s)
			}
		}
	}
	if gcd(len(identityLow), len(identityHigh)) != 1 || Identities != 552 {
		t.Errorf("table sizes %d and %d: want coprime, 552 identities", len(identityLow), len(identityHigh))
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// TestIdentityForGuarantee checks the doc comment's promise on every pair
// of numbers in a span of 1,200: numbers less than 552 apart differ, less
// than 23 apart share no tone, 552 apart are the same.
func TestIdentityForGuarantee(t *testing.T) {
	const from, span = 1000, 1200
	ids := make([]Identity, span)
	for i := range ids {
		ids[i] = IdentityFor(strconv.Itoa(from + i))
	}
	for i := range ids {
		for j := i + 1; j < span; j++ {
			a, b := ids[i], ids[j]
			switch d := j - i; {
			case d < 23 && (a.Low == b.Low || a.High == b.High):
				t.Fatalf("%d and %d (%d apart) share a tone: %s, %s", from+i, from+j, d, a, b)
			case d < Identities && a == b:
				t.Fatalf("%d and %d (%d apart) have the same identity %s", from+i, from+j, d, a)
			case d == Identities && a != b:
				t.Fatalf("%d and %d: %s, %s; the mapping is not n mod 552", from+i, from+j, a, b)
			}
		}
	}
	// Any length, with or without '+': the same residues as big integers.
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		digits := strconv.FormatUint(rng.Uint64(), 10) + strconv.FormatUint(rng.Uint64(), 10)
		n, _ := new(big.Int).SetString(digits, 10)
		want := Identity{
			Low:  identityLow[new(big.Int).Mod(n, big.NewInt(int64(len(identityLow)))).Int64()],
			High: identityHigh[new(big.Int).Mod(n, big.NewInt(int64(len(identityHigh)))).Int64()],
		}
		if got := IdentityFor(digits); got != want || IdentityFor("+"+digits) != want {
			t.Fatalf("IdentityFor(%s) = %s, want %s", digits, got, want)
		}
	}
	for _, s := range []string{"alice", "", "+", "12a", "bob@example.com"} {
		id := IdentityFor(s)
		if !slices.Contains(identityLow[:], id.Low) || !slices.Contains(identityHigh[:], id.High) || id != IdentityFor(s) {
			t.Errorf("IdentityFor(%q) = %s, not a stable table identity", s, id)
		}
	}
}

// received is what a listener's Recent returns for an identity sent as
// G.711 through a lossy path: frames of 20 ms, each lost with probability
// loss, the rest spliced together, from a random start phase.
func received(rng *rand.Rand, id Identity, alaw bool, loss float64, frames int) []int16 {
	gen := tone.NewChord(tone.DefaultRate, toneAmplitude, id.Freqs()...)
	gen.Fill(make([]int16, rng.IntN(tone.DefaultRate)))
	var out []int16
	frame := make([]int16, 160)
	for range frames {
		gen.Fill(frame)
		if rng.Float64() < loss {
			continue
		}
		for _, v := range frame {
			if alaw {
				out = append(out, g711.DecodeAlawFrame(g711.EncodeAlawFrame(v)))
			} else {
				out = append(out, g711.DecodeUlawFrame(g711.EncodeUlawFrame(v)))
			}
		}
	}
	return out
}

// margin is how far, in dB, a result is from the detector's nearest
// threshold: positive when the identity is present, negative when absent.
func margin(r tone.Result) float64 {
	m := math.Min(r.SNR-tone.DefaultMinSNR, tone.DefaultMaxTwist-r.Twist)
	if r.Rejected > 0 {
		m = math.Min(m, tone.DB(r.Weakest, r.Rejected)-tone.DefaultRejectMargin)
	}
	return m
}

// TestIdentityDetectionMargins measures the audio check's decisions on
// G.711 (µ-law and A-law) with 0-30 % packet loss and 120-200 ms of audio
// judged (the check needs 60 % of its 200 ms window): the right identity
// must be heard with margin; a neighbour's identity, one that shares a
// tone, the listener's own (echo) and silence must be refused by a wide
// margin. The worst margins are logged: they are the figures behind the
// identity tables.
func TestIdentityDetectionMargins(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	worstHeard, bestWrong := math.Inf(1), math.Inf(-1)
	var trials int
	for _, alaw := range []bool{false, true} {
		for _, loss := range []float64{0, 0.1, 0.2, 0.3} {
			for range 12 {
				listener := 1000 + rng.IntN(2000)
				far := listener + 1 + rng.IntN(Identities-1) // any other number within 551
				own, farID := IdentityFor(strconv.Itoa(listener)), IdentityFor(strconv.Itoa(far))
				audio := received(rng, farID, alaw, loss, 10)
				if len(audio) < 960 {
					continue // the check would wait for more audio
				}
				trials++
				name := fmt.Sprintf("alaw=%v loss=%.0f%% %d hears %d", alaw, 100*loss, listener, far)
				r := farID.detector(own).Analyse(audio)
				if !r.Present {
					t.Errorf("%s: right identity refused: %+v", name, r)
				}
				worstHeard = math.Min(worstHeard, margin(r))
				// A misrouted call: the audio comes from far, the listener
				// expects a number next to it, or one sharing one of its tones.
				for _, wrong := range []int{far + 1, far - 1, far + len(identityLow), far + len(identityHigh)} {
					wid := IdentityFor(strconv.Itoa(wrong))
					if wid == own {
						continue
					}
					r := wid.detector(own).Analyse(audio)
					if r.Present {
						t.Errorf("%s: %d's identity %s passed on %s audio: %+v", name, wrong, wid, farID, r)
					}
					bestWrong = math.Max(bestWrong, margin(r))
				}
				// Echo: the listener's own identity comes back.
				echo := received(rng, own, alaw, loss, 10)
				if r := farID.detector(own).Analyse(echo); r.Present {
					t.Errorf("%s: own identity (echo) passed: %+v", name, r)
				} else {
					bestWrong = math.Max(bestWrong, margin(r))
				}
				if r := farID.detector(own).Analyse(make([]int16, len(audio))); r.Present || r.Reason != "silence" {
					t.Errorf("%s: silence: %+v", name, r)
				}
			}
		}
	}
	t.Logf("%d trials: right identity heard with >= %.1f dB margin; wrong identities, echo refused by >= %.1f dB", trials, worstHeard, -bestWrong)
	if worstHeard < 6 || bestWrong > -20 {
		t.Errorf("margins too thin: heard %.1f dB, refused %.1f dB (want >= 6 and >= 20)", worstHeard, -bestWrong)
	}
}

// BenchmarkIdentityDecision is one decision of the audio check on 200 ms
// of µ-law identity audio (two expected tones, two own tones refused).
func BenchmarkIdentityDecision(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	far, own := IdentityFor("1001"), IdentityFor("1000")
	audio := received(rng, far, false, 0, 10)
	det := far.detector(own)
	b.ReportAllocs()
	for b.Loop() {
		if !det.Analyse(audio).Present {
			b.Fatal("not heard")
		}
	}
}
