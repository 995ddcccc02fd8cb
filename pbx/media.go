package pbx

import (
	"net/netip"

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
		media.WithMode(s.mediaMode))
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
		if sub, ok := s.subs[number]; ok {
			return s.cfg.AnchorFor(sub)
		}
		return s.cfg.Media.Anchor
	}
	if anchorOf(c.CallerNumber()) == config.AnchorRelay || anchorOf(c.CalleeNumber()) == config.AnchorRelay {
		return config.AnchorRelay
	}
	return config.AnchorDirect
}
