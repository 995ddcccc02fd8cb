package phone

import (
	"fmt"
	"hash/fnv"
	"strings"

	"pbxlab/internal/tone"
)

// The identity tables: two disjoint sets of frequencies, Hz. Every tone is
// a multiple of 50 Hz, so a whole 20 ms packet lost (or a late one dropped)
// shifts it by whole cycles and the audio the receiver splices together
// stays phase-continuous: packet loss costs no detection margin. Tones are
// 50 Hz or more apart (10 Goertzel bins in a 200 ms block) and at least
// 20 Hz from call-progress tones (350/400/425/440/450/480/620 Hz), DTMF
// (697–1633 Hz), the 1000/1004/1020 Hz test tones (baresip's sine),
// fax/modem tones (1100, 1300, 2100, 2225 Hz) and 2600 Hz, so no tone a
// PBX or a foreign device plays can stand in for a phone. The sizes, 23 and
// 24, are coprime.
var (
	identityLow = [...]float64{
		500, 550, 600, 650, 750, 800, 900, 1050, 1150, 1250, 1400, 1450,
		1500, 1550, 1600, 1700, 1750, 1800, 1850, 1900, 1950, 2000, 2050,
	}
	identityHigh = [...]float64{
		2150, 2200, 2250, 2300, 2350, 2400, 2450, 2500, 2550, 2650, 2700, 2750,
		2800, 2850, 2900, 2950, 3000, 3050, 3100, 3150, 3200, 3250, 3300, 3350,
	}
)

// Identities is how many distinct identities IdentityFor hands out: 23 × 24.
const Identities = len(identityLow) * len(identityHigh)

// Identity is the audio a simulated phone sends to say who it is: two sines
// at once (each at half the phone's level), one from a low and one from a
// high set of frequencies. The far end's audio check looks for both tones
// and refuses the listener's own ones. An Identity with High 0 is a single
// tone (what a foreign device such as baresip's sine source plays, see
// SingleTone). The zero Identity is no audio.
type Identity struct {
	Low, High float64 // Hz
}

// IdentityFor returns the identity of a phone number.
//
// A number (decimal digits, an optional leading '+', any length) n gets the
// low tone n mod 23 and the high tone n mod 24 of the tables. By the Chinese
// remainder theorem two numbers get the same identity only when they
// differ by a multiple of 552 (Identities). So: any two numbers less than
// 552 apart have different identities, and a call that reaches a wrong
// phone numbered within 551 of the right one fails the audio check; two
// numbers less than 23 apart (consecutive ones, say) share neither tone;
// two numbers that share one tone differ in the other, and the check needs
// both. Other strings are hashed (FNV-1a) onto the 552 identities, without
// that guarantee (two of them collide with probability 1/552).
func IdentityFor(number string) Identity {
	low, high := uint64(len(identityLow)), uint64(len(identityHigh))
	digits := strings.TrimPrefix(number, "+")
	var l, h uint64
	ok := digits != ""
	for _, c := range digits {
		if c < '0' || c > '9' {
			ok = false
			break
		}
		d := uint64(c - '0')
		l, h = (l*10+d)%low, (h*10+d)%high
	}
	if !ok {
		f := fnv.New64a()
		_, _ = f.Write([]byte(number))
		n := f.Sum64()
		l, h = n%low, n%high
	}
	return Identity{Low: identityLow[l], High: identityHigh[h]}
}

// SingleTone is the identity of a device that plays one plain sine, e.g.
// a softphone's test tone, for Call.ExpectIdentity.
func SingleTone(freq float64) Identity { return Identity{Low: freq} }

// IsZero reports whether id is no audio at all.
func (id Identity) IsZero() bool { return id.Low == 0 && id.High == 0 }

// Freqs returns the identity's frequencies (one or two).
func (id Identity) Freqs() []float64 {
	var out []float64
	for _, f := range []float64{id.Low, id.High} {
		if f != 0 {
			out = append(out, f)
		}
	}
	return out
}

// String renders "550+2450 Hz" (or "1000 Hz" for a single tone).
func (id Identity) String() string {
	switch {
	case id.IsZero():
		return "no identity"
	case id.High == 0:
		return fmt.Sprintf("%g Hz", id.Low)
	case id.Low == 0:
		return fmt.Sprintf("%g Hz", id.High)
	}
	return fmt.Sprintf("%g+%g Hz", id.Low, id.High)
}

// detector listens for id and refuses own's tones that id does not share
// (the listener's echo or a looped-back stream).
func (id Identity) detector(own Identity) *tone.Detector {
	return tone.NewDetector(tone.Config{Freqs: id.Freqs(), Reject: own.Freqs()})
}
