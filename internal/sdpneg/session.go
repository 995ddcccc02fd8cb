package sdpneg

import "net/netip"

// Media directions (RFC 3264 §5.1, RFC 4566 §6).
const (
	SendRecv = "sendrecv"
	SendOnly = "sendonly"
	RecvOnly = "recvonly"
	Inactive = "inactive"
)

// DefaultPTime is the packetisation time in ms assumed when SDP has no a=ptime.
const DefaultPTime = 20

// Origin is the part of the o= line that identifies a session and its version.
type Origin struct {
	Username    string
	SessID      uint64
	SessVersion uint64
}

// Session is the audio part of an SDP body.
type Session struct {
	Origin Origin
	// Addr is the c= address with the m=audio port (port 0: stream disabled).
	Addr netip.AddrPort
	// Codecs are the audio formats known by name, in m= line order; dynamic
	// payload types without an a=rtpmap are left out.
	Codecs []Codec
	// Direction is one of SendRecv, SendOnly, RecvOnly, Inactive.
	Direction string
	// PTime is the a=ptime in ms, DefaultPTime if absent.
	PTime int
	// Proto is the m= transport, e.g. "RTP/AVP".
	Proto string
}

// Mirror returns the direction an answer takes for an offered direction
// (RFC 3264 §6.1): sendonly→recvonly, recvonly→sendonly, others unchanged.
func Mirror(dir string) string {
	switch dir {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	case Inactive:
		return Inactive
	default:
		return SendRecv
	}
}

// AudioCodec returns the first audio codec of s (the one to send with), if any.
func (s *Session) AudioCodec() (Codec, bool) {
	for _, c := range s.Codecs {
		if c.IsAudio() {
			return c, true
		}
	}
	return Codec{}, false
}
