// Package sdpneg implements the SDP offer/answer model (RFC 3264) for the
// single G.711 audio stream pbxlab uses, on top of github.com/pion/sdp/v3.
package sdpneg

import (
	"strconv"
	"strings"
)

// Codec is one RTP payload format as carried by an m= line and its a=rtpmap.
type Codec struct {
	PT   uint8  // RTP payload type (0..127)
	Name string // encoding name, e.g. "PCMU"
	Rate int    // RTP clock rate in Hz
}

// PCMU is G.711 µ-law, static payload type 0 (RFC 3551 §6).
func PCMU() Codec { return Codec{PT: 0, Name: "PCMU", Rate: 8000} }

// PCMA is G.711 A-law, static payload type 8 (RFC 3551 §6).
func PCMA() Codec { return Codec{PT: 8, Name: "PCMA", Rate: 8000} }

// TelephoneEvent is RFC 4733 DTMF events on the conventional dynamic type 101.
func TelephoneEvent() Codec { return Codec{PT: 101, Name: "telephone-event", Rate: 8000} }

// DefaultCodecs is what pbxlab offers and accepts: PCMU, PCMA, telephone-event.
func DefaultCodecs() []Codec { return []Codec{PCMU(), PCMA(), TelephoneEvent()} }

// String renders the codec as in an rtpmap value, e.g. "0 PCMU/8000".
func (c Codec) String() string {
	return strconv.Itoa(int(c.PT)) + " " + c.Name + "/" + strconv.Itoa(c.Rate)
}

// Same reports whether c and o are the same encoding (name, case-insensitive,
// and clock rate), whatever their payload type numbers.
func (c Codec) Same(o Codec) bool {
	return c.Rate == o.Rate && strings.EqualFold(c.Name, o.Name)
}

// IsAudio reports whether c carries audio, as opposed to DTMF events (RFC 4733)
// or comfort noise (RFC 3389). Only audio codecs make an offer acceptable.
func (c Codec) IsAudio() bool {
	return c.Name != "" && !strings.EqualFold(c.Name, "telephone-event") && !strings.EqualFold(c.Name, "CN")
}

// staticCodec returns the RFC 3551 §6 (table 4) audio payload types that may
// appear on an m= line without an a=rtpmap.
func staticCodec(pt uint8) (Codec, bool) {
	var name string
	switch pt {
	case 0:
		name = "PCMU"
	case 3:
		name = "GSM"
	case 4:
		name = "G723"
	case 8:
		name = "PCMA"
	case 9:
		name = "G722"
	case 13:
		name = "CN"
	case 18:
		name = "G729"
	default:
		return Codec{}, false
	}
	return Codec{PT: pt, Name: name, Rate: 8000}, true
}

// commonCodecs returns the entries of offered (in the offered order, keeping
// the offerer's payload types, RFC 3264 §6.1) that match one of supported.
func commonCodecs(offered, supported []Codec) []Codec {
	var out []Codec
	for _, o := range offered {
		for _, s := range supported {
			if o.Same(s) {
				out = append(out, o)
				break
			}
		}
	}
	return out
}

func hasAudio(codecs []Codec) bool {
	for _, c := range codecs {
		if c.IsAudio() {
			return true
		}
	}
	return false
}
