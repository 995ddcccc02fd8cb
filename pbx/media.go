package pbx

import (
	"net/netip"
	"time"

	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media"
)

// initMedia builds the media server (anchored RTP). Its sockets open like
// the SIP ones (WithPacketListener: in-memory in virtual-time tests) and
// face each peer from the address the SIP listeners face it from.
func (s *Server) initMedia() error {
	ms, err := media.New(s.cfg.Media,
		media.WithLogger(s.log.With("component", "media")),
		media.WithClock(s.clock),
		media.WithListen(s.listenPacket),
		media.WithLocal(s.mediaLocal),
		media.WithMode(s.mediaMode),
		media.WithHold(s.holdByPBX))
	if err != nil {
		return err
	}
	s.media = ms
	return nil
}

// mediaLocal is how the PBX faces a media peer: the SIP listener of the
// peer's family (UDP first) gives the bind address and the advertised one.
func (s *Server) mediaLocal(peer netip.Addr) (media.Local, bool) {
	for _, tr := range []string{config.TransportUDP, config.TransportTCP} {
		l, ok := s.local(tr, netip.AddrPortFrom(peer, 0))
		if !ok {
			continue
		}
		bind := l.Bind.Addr()
		if !bind.IsValid() {
			bind = l.Addr.Addr()
		}
		return media.Local{Bind: bind.Unmap(), Advertise: l.Addr.Addr().Unmap()}, true
	}
	return media.Local{}, false
}

// mediaMode anchors a call when its caller or its callee is relay
// (subscribers[].media_anchor, else media.anchor); a party that is not a
// subscriber (a trunk's caller) counts as media.anchor.
func (s *Server) mediaMode(c *call.Call) config.Anchor {
	anchorOf := func(number string) config.Anchor {
		if sub, ok := s.subscriber(number); ok {
			return s.cfg.AnchorFor(sub)
		}
		return s.cfg.Media.Anchor
	}
	if anchorOf(c.CallerNumber()) == config.AnchorRelay || anchorOf(c.CalleeNumber()) == config.AnchorRelay ||
		s.recordsCall(c) || s.holdAnchors(c) {
		return config.AnchorRelay
	}
	return config.AnchorDirect
}

// MediaLeg is one anchored leg of a call in progress: the PBX's RTP socket
// facing it and what went through.
type MediaLeg struct {
	// Leg is the leg's ID in its call ("a" the caller, "b1"... the callees).
	Leg string
	// Local is the PBX's RTP address facing the leg (RTCP on the next port).
	Local netip.AddrPort
	// Latched is where the leg's RTP really comes from (and where the
	// PBX sends it RTP); invalid until its first packet.
	Latched netip.AddrPort
	// PacketsIn: RTP accepted from the leg; PacketsOut: RTP sent to it.
	PacketsIn, PacketsOut uint64
	// Dropped: malformed, wrong payload type or from a stranger.
	Dropped uint64
	Lost    int64
	Jitter  time.Duration
}

// MediaLegs reports the anchored legs of the calls in progress, by call ID
// (the caller's Call-ID). Empty when media is not anchored.
func (s *Server) MediaLegs() map[string][]MediaLeg {
	out := map[string][]MediaLeg{}
	for id, legs := range s.media.Snapshot() {
		for _, l := range legs {
			st := l.Stats
			out[id] = append(out[id], MediaLeg{Leg: l.Leg, Local: l.Local, Latched: st.Latched,
				PacketsIn: st.PacketsIn, PacketsOut: st.PacketsOut, Dropped: st.Malformed + st.WrongPT + st.Strangers,
				Lost: st.Lost, Jitter: st.Jitter})
		}
	}
	return out
}

// MediaEnabled reports whether the media server is on (media.enabled):
// services that need it check it (busy tone / 486 when off).
func (s *Server) MediaEnabled() bool { return s.media.Enabled() }
