package media

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"pbxlab/internal/sdpneg"
)

// mline is one m= line of a session as far as the anchor keeps it: the
// audio stream it anchors, or another stream it declines (port 0), so that
// an answer has as many m= lines as its offer and a later offer as many as
// the session had (RFC 3264 §6, §8).
type mline struct {
	media, proto, format string
}

// legSDP is what the anchor reads of an SDP a leg sent.
type legSDP struct {
	sess   *sdpneg.Session // the first audio stream
	rtcp   netip.AddrPort  // a=rtcp (RFC 3605), else the RTP port + 1
	noAddr bool            // c=0.0.0.0 / :: (RFC 2543 hold): send it nothing
	layout []mline
	audio  int // index of the audio stream in layout
}

// parseLeg reads an SDP body. Errors wrap ErrBadSDP (and sdpneg's sentinel).
func parseLeg(b []byte) (*legSDP, error) {
	s, err := sdpneg.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSDP, err)
	}
	if s.Proto != "" && s.Proto != "RTP/AVP" {
		return nil, fmt.Errorf("%w: %w: %s", ErrBadSDP, sdpneg.ErrUnsupportedProto, s.Proto)
	}
	var d sdp.SessionDescription
	if err := d.Unmarshal(b); err != nil { // sdpneg.Parse accepted it
		return nil, fmt.Errorf("%w: %w", ErrBadSDP, err)
	}
	l := &legSDP{sess: s, audio: -1}
	for i, md := range d.MediaDescriptions {
		format := "0"
		if len(md.MediaName.Formats) > 0 {
			format = md.MediaName.Formats[0]
		}
		l.layout = append(l.layout, mline{media: md.MediaName.Media, proto: strings.Join(md.MediaName.Protos, "/"), format: format})
		if l.audio < 0 && md.MediaName.Media == "audio" {
			l.audio = i
			l.rtcp = rtcpAddr(md, s.Addr)
		}
	}
	l.noAddr = s.Addr.Addr().IsUnspecified()
	return l, nil
}

// rtcpAddr is the a=rtcp port (and address) of an audio stream (RFC 3605),
// else the RTP port + 1 (RFC 3550 §11).
func rtcpAddr(md *sdp.MediaDescription, rtp netip.AddrPort) netip.AddrPort {
	if v, ok := md.Attribute("rtcp"); ok {
		f := strings.Fields(v)
		if len(f) > 0 {
			if p, err := strconv.ParseUint(f[0], 10, 16); err == nil && p > 0 {
				addr := rtp.Addr()
				if len(f) == 4 {
					if a, err := netip.ParseAddr(f[3]); err == nil && a.Zone() == "" {
						addr = a
					}
				}
				return netip.AddrPortFrom(addr, uint16(p))
			}
		}
	}
	if rtp.Port() == 0 || rtp.Port() == 65535 {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(rtp.Addr(), rtp.Port()+1)
}

// dir is the leg's direction with an RFC 2543 hold (c=0.0.0.0: "do not
// send to me") folded in.
func (l *legSDP) dir() string {
	d := l.sess.Direction
	if l.noAddr || l.sess.Addr.Port() == 0 {
		switch d {
		case sdpneg.SendRecv:
			return sdpneg.SendOnly
		case sdpneg.RecvOnly:
			return sdpneg.Inactive
		}
	}
	return d
}

// rejected: the audio stream is refused (port 0).
func (l *legSDP) rejected() bool { return l.sess.Addr.Port() == 0 }

// addr is where to send the leg RTP (invalid when it wants none).
func (l *legSDP) addr() netip.AddrPort {
	if l.noAddr || l.rejected() {
		return netip.AddrPort{}
	}
	return l.sess.Addr
}

func dirSends(d string) bool    { return d == sdpneg.SendRecv || d == sdpneg.SendOnly }
func dirReceives(d string) bool { return d == sdpneg.SendRecv || d == sdpneg.RecvOnly }

// ourSDP is an SDP the PBX sends a leg: its own address and the leg's
// endpoint port, the codecs it can bridge, the direction of the far leg.
type ourSDP struct {
	sessID, version uint64
	addr            netip.AddrPort // port 0: audio declined
	codecs          []sdpneg.Codec
	dir             string
	ptime           int
	layout          []mline
	audio           int
}

// marshal renders o (pion/sdp): one RTP/AVP audio stream at o.audio and
// every other m= line of the layout declined with port 0.
func (o *ourSDP) marshal() ([]byte, error) {
	ip := o.addr.Addr().Unmap()
	addrType := "IP4"
	if ip.Is6() {
		addrType = "IP6"
	}
	conn := &sdp.ConnectionInformation{NetworkType: "IN", AddressType: addrType, Address: &sdp.Address{Address: ip.String()}}
	desc := sdp.SessionDescription{
		Origin: sdp.Origin{Username: "pbxlab", SessionID: o.sessID, SessionVersion: o.version,
			NetworkType: "IN", AddressType: addrType, UnicastAddress: ip.String()},
		SessionName:           "pbxlab",
		ConnectionInformation: conn,
		TimeDescriptions:      []sdp.TimeDescription{{Timing: sdp.Timing{}}},
	}
	layout, audio := o.layout, o.audio
	if len(layout) == 0 || audio < 0 || audio >= len(layout) {
		layout, audio = []mline{{media: "audio"}}, 0
	}
	for i, ml := range layout {
		if i != audio {
			protos := strings.Split(ml.proto, "/")
			if ml.proto == "" {
				protos = []string{"RTP", "AVP"}
			}
			desc.MediaDescriptions = append(desc.MediaDescriptions, &sdp.MediaDescription{MediaName: sdp.MediaName{
				Media: ml.media, Port: sdp.RangedPort{Value: 0}, Protos: protos, Formats: []string{ml.format}}})
			continue
		}
		desc.MediaDescriptions = append(desc.MediaDescriptions, o.audioLine())
	}
	b, err := desc.Marshal()
	if err != nil {
		return nil, fmt.Errorf("marshal sdp: %w", err)
	}
	return b, nil
}

func (o *ourSDP) audioLine() *sdp.MediaDescription {
	md := &sdp.MediaDescription{MediaName: sdp.MediaName{
		Media: "audio", Port: sdp.RangedPort{Value: int(o.addr.Port())}, Protos: []string{"RTP", "AVP"}}}
	for _, c := range o.codecs {
		md.MediaName.Formats = append(md.MediaName.Formats, strconv.Itoa(int(c.PT)))
		md.Attributes = append(md.Attributes, sdp.NewAttribute("rtpmap", c.String()))
		if idOf(c) == codecEvent {
			md.Attributes = append(md.Attributes, sdp.NewAttribute("fmtp", strconv.Itoa(int(c.PT))+" 0-16"))
		}
	}
	if o.addr.Port() != 0 {
		md.Attributes = append(md.Attributes, sdp.NewAttribute("rtcp", strconv.Itoa(int(o.addr.Port())+1)))
	}
	ptime := o.ptime
	if ptime <= 0 {
		ptime = sdpneg.DefaultPTime
	}
	md.Attributes = append(md.Attributes, sdp.NewAttribute("ptime", strconv.Itoa(ptime)), sdp.NewPropertyAttribute(o.dir))
	return md
}

// eventPT is the payload type to offer telephone-event with: the
// offerer's own, else the conventional 101.
func eventPT(codecs []sdpneg.Codec) uint8 {
	for _, c := range codecs {
		if idOf(c) == codecEvent {
			return c.PT
		}
	}
	return 101
}

// offerCodecs is what the PBX offers the far leg for an offer with codecs:
// the offerer's PCMU, PCMA and G.722 in its order, the other G.711 law too
// (the PBX transcodes), and telephone-event (the PBX takes DTMF events even
// from a leg whose partner has none). Static payload types; events with
// the offerer's type. No bridgeable audio codec: ErrNoCodec.
func offerCodecs(codecs []sdpneg.Codec) ([]sdpneg.Codec, error) {
	var out []sdpneg.Codec
	have := [numCodecs]bool{}
	for _, c := range codecs {
		id := idOf(c)
		if !id.isAudio() || have[id] {
			continue
		}
		have[id] = true
		out = append(out, staticCodec(id))
	}
	switch {
	case have[codecPCMU] && !have[codecPCMA]:
		out = append(out, sdpneg.PCMA())
	case have[codecPCMA] && !have[codecPCMU]:
		out = append(out, sdpneg.PCMU())
	case !have[codecPCMU] && !have[codecPCMA] && !have[codecG722]:
		return nil, ErrNoCodec
	}
	return append(out, sdpneg.Codec{PT: eventPT(codecs), Name: "telephone-event", Rate: 8000}), nil
}

func staticCodec(id codecID) sdpneg.Codec {
	switch id {
	case codecPCMA:
		return sdpneg.PCMA()
	case codecG722:
		return sdpneg.Codec{PT: 9, Name: "G722", Rate: 8000}
	default:
		return sdpneg.PCMU()
	}
}

// answerCodecs is the PBX's answer to an offer (offered, the offerer's
// payload types) once the far leg answered with answered: one audio codec
// — the far leg's first that the offerer has (no transcoding), else the
// offerer's first G.711 law whose other law the far leg has (transcoding)
// — and telephone-event if offered. ErrNoCodec when nothing bridges.
func answerCodecs(offered, answered []sdpneg.Codec) ([]sdpneg.Codec, error) {
	find := func(id codecID) (sdpneg.Codec, bool) {
		for _, c := range offered {
			if idOf(c) == id {
				return c, true
			}
		}
		return sdpneg.Codec{}, false
	}
	var audio sdpneg.Codec
	for _, c := range answered {
		if id := idOf(c); id.isAudio() {
			if o, ok := find(id); ok {
				audio = o
				break
			}
		}
	}
	if audio.Name == "" {
		for _, c := range answered {
			if o, ok := find(idOf(c).other()); ok && idOf(c).other() != codecNone {
				audio = o
				break
			}
		}
	}
	if audio.Name == "" {
		return nil, ErrNoCodec
	}
	out := []sdpneg.Codec{audio}
	if ev, ok := find(codecEvent); ok {
		out = append(out, ev)
	}
	return out, nil
}
