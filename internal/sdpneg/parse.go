package sdpneg

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// Parse reads the first m=audio stream of an SDP body. The connection address
// is taken from the media-level c= or else the session-level one (RFC 4566
// §5.7); IN IP4 and IN IP6 are supported. Errors wrap ErrMalformed,
// ErrNoAudio or ErrNoConnection.
func Parse(b []byte) (*Session, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("parse sdp: %w: empty body", ErrMalformed)
	}
	var desc sdp.SessionDescription
	if err := desc.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("parse sdp: %w: %w", ErrMalformed, err)
	}
	var md *sdp.MediaDescription
	for _, m := range desc.MediaDescriptions {
		if m.MediaName.Media == "audio" {
			md = m
			break
		}
	}
	if md == nil {
		return nil, fmt.Errorf("parse sdp: %w", ErrNoAudio)
	}
	ci := md.ConnectionInformation
	if ci == nil {
		ci = desc.ConnectionInformation
	}
	if ci == nil || ci.Address == nil {
		return nil, fmt.Errorf("parse sdp: %w", ErrNoConnection)
	}
	addr, err := parseAddr(ci)
	if err != nil {
		return nil, fmt.Errorf("parse sdp connection %q: %w", ci.Address.Address, err)
	}
	port := md.MediaName.Port.Value
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("parse sdp port %d: %w", port, ErrMalformed)
	}
	codecs, err := parseCodecs(md)
	if err != nil {
		return nil, fmt.Errorf("parse sdp formats: %w", err)
	}
	return &Session{
		Origin: Origin{
			Username:    desc.Origin.Username,
			SessID:      desc.Origin.SessionID,
			SessVersion: desc.Origin.SessionVersion,
		},
		Addr:      netip.AddrPortFrom(addr, uint16(port)),
		Codecs:    codecs,
		Direction: direction(md.Attributes, desc.Attributes),
		PTime:     ptime(md.Attributes, desc.Attributes),
		Proto:     strings.Join(md.MediaName.Protos, "/"),
	}, nil
}

// parseAddr accepts a unicast literal matching the address type; a multicast
// "/ttl" suffix is ignored. Host names and zoned addresses are refused.
func parseAddr(ci *sdp.ConnectionInformation) (netip.Addr, error) {
	host, _, _ := strings.Cut(ci.Address.Address, "/")
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if addr.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%w: zoned address", ErrMalformed)
	}
	if (ci.AddressType == "IP4") != addr.Is4() {
		return netip.Addr{}, fmt.Errorf("%w: address does not match %s", ErrMalformed, ci.AddressType)
	}
	return addr, nil
}

func parseCodecs(md *sdp.MediaDescription) ([]Codec, error) {
	rtpmap := map[uint8]Codec{}
	for _, a := range md.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		c, err := parseRtpmap(a.Value)
		if err != nil {
			return nil, err
		}
		rtpmap[c.PT] = c
	}
	var out []Codec
	for _, f := range md.MediaName.Formats {
		pt, err := parsePT(f)
		if err != nil {
			return nil, err
		}
		if c, ok := rtpmap[pt]; ok {
			out = append(out, c)
		} else if c, ok := staticCodec(pt); ok {
			out = append(out, c)
		}
	}
	return out, nil
}

func parsePT(s string) (uint8, error) {
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil || n > 127 {
		return 0, fmt.Errorf("%w: payload type %q", ErrMalformed, s)
	}
	return uint8(n), nil
}

// parseRtpmap reads "<pt> <name>/<rate>[/<channels>]" (RFC 4566 §6).
func parseRtpmap(v string) (Codec, error) {
	ptStr, enc, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return Codec{}, fmt.Errorf("%w: rtpmap %q", ErrMalformed, v)
	}
	pt, err := parsePT(ptStr)
	if err != nil {
		return Codec{}, err
	}
	parts := strings.Split(strings.TrimSpace(enc), "/")
	if len(parts) < 2 || parts[0] == "" {
		return Codec{}, fmt.Errorf("%w: rtpmap %q", ErrMalformed, v)
	}
	rate, err := strconv.Atoi(parts[1])
	if err != nil || rate <= 0 {
		return Codec{}, fmt.Errorf("%w: rtpmap rate %q", ErrMalformed, v)
	}
	return Codec{PT: pt, Name: parts[0], Rate: rate}, nil
}

// direction: media-level attribute, else session-level, else sendrecv (RFC 3264 §5.1).
func direction(levels ...[]sdp.Attribute) string {
	for _, attrs := range levels {
		for _, a := range attrs {
			switch a.Key {
			case SendRecv, SendOnly, RecvOnly, Inactive:
				return a.Key
			}
		}
	}
	return SendRecv
}

func ptime(levels ...[]sdp.Attribute) int {
	for _, attrs := range levels {
		for _, a := range attrs {
			if a.Key != "ptime" {
				continue
			}
			if n, err := strconv.Atoi(strings.TrimSpace(a.Value)); err == nil && n > 0 && n <= 1000 {
				return n
			}
		}
	}
	return DefaultPTime
}
