package sdpneg

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

const (
	username = "pbxlab"
	proto    = "RTP/AVP"
)

// Marshal renders s as an SDP body with one RTP/AVP audio stream: session-level
// c=, an a=rtpmap for every codec, a=fmtp 0-16 for telephone-event (RFC 4733
// §7.1.1), a=ptime and the direction attribute. s.Proto is ignored.
func Marshal(s *Session) ([]byte, error) {
	if len(s.Codecs) == 0 {
		return nil, fmt.Errorf("marshal sdp: %w", ErrNoCodecs)
	}
	ip := s.Addr.Addr().Unmap()
	if !ip.IsValid() || ip.Zone() != "" {
		return nil, fmt.Errorf("marshal sdp address %s: %w", s.Addr, ErrMalformed)
	}
	dir := s.Direction
	if dir == "" {
		dir = SendRecv
	}
	if Mirror(dir) == SendRecv && dir != SendRecv {
		return nil, fmt.Errorf("marshal sdp direction %q: %w", dir, ErrMalformed)
	}
	ptime := s.PTime
	if ptime <= 0 {
		ptime = DefaultPTime
	}
	addrType := "IP4"
	if ip.Is6() {
		addrType = "IP6"
	}
	name := s.Origin.Username
	if name == "" || strings.ContainsAny(name, " \r\n") {
		name = username
	}
	md := &sdp.MediaDescription{MediaName: sdp.MediaName{
		Media:  "audio",
		Port:   sdp.RangedPort{Value: int(s.Addr.Port())},
		Protos: strings.Split(proto, "/"),
	}}
	for _, c := range s.Codecs {
		md.MediaName.Formats = append(md.MediaName.Formats, strconv.Itoa(int(c.PT)))
		md.Attributes = append(md.Attributes, sdp.NewAttribute("rtpmap", c.String()))
		if strings.EqualFold(c.Name, "telephone-event") {
			md.Attributes = append(md.Attributes, sdp.NewAttribute("fmtp", strconv.Itoa(int(c.PT))+" 0-16"))
		}
	}
	md.Attributes = append(md.Attributes,
		sdp.NewAttribute("ptime", strconv.Itoa(ptime)),
		sdp.NewPropertyAttribute(dir))
	desc := sdp.SessionDescription{
		Origin: sdp.Origin{
			Username: name, SessionID: s.Origin.SessID, SessionVersion: s.Origin.SessVersion,
			NetworkType: "IN", AddressType: addrType, UnicastAddress: ip.String(),
		},
		SessionName: username,
		ConnectionInformation: &sdp.ConnectionInformation{
			NetworkType: "IN", AddressType: addrType, Address: &sdp.Address{Address: ip.String()},
		},
		TimeDescriptions:  []sdp.TimeDescription{{Timing: sdp.Timing{}}},
		MediaDescriptions: []*sdp.MediaDescription{md},
	}
	b, err := desc.Marshal()
	if err != nil {
		return nil, fmt.Errorf("marshal sdp: %w", err)
	}
	return b, nil
}

// Offer builds an initial sendrecv offer (RFC 3264 §5) for codecs, in the
// given order of preference, with RTP at local. sessID is used as both the
// o= session id and version.
func Offer(local netip.AddrPort, codecs []Codec, sessID uint64) ([]byte, error) {
	b, err := Marshal(&Session{
		Origin:    Origin{Username: username, SessID: sessID, SessVersion: sessID},
		Addr:      local,
		Codecs:    codecs,
		Direction: SendRecv,
		PTime:     DefaultPTime,
	})
	if err != nil {
		return nil, fmt.Errorf("offer sdp: %w", err)
	}
	return b, nil
}

// Answer builds the answer to offer (RFC 3264 §6.1): the codecs common to the
// offer and supported, in the offerer's order and with the offerer's payload
// types, and the mirrored direction. The returned Session is the negotiated
// media seen from the answerer: Addr is the offerer's RTP address (where to
// send), Codecs the common codecs, Direction the answer's direction.
// It fails with ErrNoCommonCodec (answer 488), ErrNoAudio or ErrUnsupportedProto.
func Answer(offer *Session, local netip.AddrPort, supported []Codec, sessID uint64) ([]byte, *Session, error) {
	if offer == nil {
		return nil, nil, fmt.Errorf("answer sdp: %w: nil offer", ErrMalformed)
	}
	common, err := negotiate(offer, supported)
	if err != nil {
		return nil, nil, fmt.Errorf("answer sdp: %w", err)
	}
	neg := &Session{
		Origin:    Origin{Username: username, SessID: sessID, SessVersion: sessID},
		Addr:      offer.Addr,
		Codecs:    common,
		Direction: Mirror(offer.Direction),
		PTime:     offer.PTime,
		Proto:     proto,
	}
	mine := *neg
	mine.Addr = local
	b, err := Marshal(&mine)
	if err != nil {
		return nil, nil, fmt.Errorf("answer sdp: %w", err)
	}
	return b, neg, nil
}

// Acceptable reports whether b is an SDP whose audio stream shares at least
// one audio codec (telephone-event and CN do not count) with supported.
func Acceptable(b []byte, supported []Codec) error {
	s, err := Parse(b)
	if err != nil {
		return err
	}
	if _, err := negotiate(s, supported); err != nil {
		return fmt.Errorf("accept sdp: %w", err)
	}
	return nil
}

func negotiate(s *Session, supported []Codec) ([]Codec, error) {
	if s.Addr.Port() == 0 {
		return nil, fmt.Errorf("%w: port 0", ErrNoAudio)
	}
	if s.Proto != "" && s.Proto != proto {
		return nil, fmt.Errorf("%w: %s", ErrUnsupportedProto, s.Proto)
	}
	common := commonCodecs(s.Codecs, supported)
	if !hasAudio(common) {
		return nil, ErrNoCommonCodec
	}
	return common, nil
}
