package sdpneg

import (
	"fmt"

	"github.com/pion/sdp/v3"
)

// Decline builds the answer that rejects every stream of offer (RFC 3264
// §6: a stream is rejected by a port of zero in the answer). A B2BUA uses it
// for a 2xx it does not want (a late answer from a losing fork) that carries
// an offer: the ACK must carry an answer (RFC 3261 §13.2.2.4) before the
// dialog is ended with BYE.
func Decline(offer []byte) ([]byte, error) {
	var in sdp.SessionDescription
	if err := in.Unmarshal(offer); err != nil {
		return nil, fmt.Errorf("decline sdp: %w: %w", ErrMalformed, err)
	}
	out := sdp.SessionDescription{
		Origin: sdp.Origin{
			Username: username, SessionID: in.Origin.SessionID, SessionVersion: in.Origin.SessionVersion,
			NetworkType: "IN", AddressType: in.Origin.AddressType, UnicastAddress: in.Origin.UnicastAddress,
		},
		SessionName:           username,
		ConnectionInformation: in.ConnectionInformation,
		TimeDescriptions:      []sdp.TimeDescription{{Timing: sdp.Timing{}}},
	}
	if out.Origin.AddressType == "" {
		out.Origin.AddressType, out.Origin.UnicastAddress = "IP4", "0.0.0.0"
	}
	for _, md := range in.MediaDescriptions {
		name := md.MediaName
		name.Port = sdp.RangedPort{Value: 0}
		if len(name.Formats) > 1 {
			name.Formats = name.Formats[:1]
		}
		out.MediaDescriptions = append(out.MediaDescriptions, &sdp.MediaDescription{
			MediaName:             name,
			ConnectionInformation: md.ConnectionInformation,
		})
	}
	b, err := out.Marshal()
	if err != nil {
		return nil, fmt.Errorf("decline sdp: %w", err)
	}
	return b, nil
}
