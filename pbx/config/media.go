package config

import (
	"fmt"
	"net/netip"
	"time"
)

// Anchor is how a call's RTP flows: through the PBX or phone to phone.
type Anchor string

// Anchor values. AnchorInherit is only valid for a subscriber, where it
// means "follow media.anchor".
const (
	AnchorInherit Anchor = ""
	// AnchorRelay anchors the media: each leg's SDP names the PBX, which
	// latches to where the leg's packets come from (NAT) and relays them,
	// transcoding G.711 µ-law and A-law between legs when needed.
	AnchorRelay Anchor = "relay"
	// AnchorDirect passes the SDP through: media flows phone to phone.
	AnchorDirect Anchor = "direct"
)

// Media is the "media" section: the media server (anchored RTP).
type Media struct {
	// Enabled switches the media server on. Off, every call's media flows
	// phone to phone (SDP passed through unchanged) and services that need
	// the media server fail (busy tone / 486). Default true.
	Enabled bool `yaml:"enabled"`
	// Anchor is relay (the PBX carries the RTP) or direct (phone to phone);
	// a subscriber may override it (subscribers[].media_anchor). A call is
	// anchored when its caller or its callee is relay. Default relay.
	Anchor Anchor `yaml:"anchor"`
	// RTPPorts is the UDP range of the PBX's RTP/RTCP sockets: even RTP
	// ports, RTCP on the next odd one, both inside the range. Default
	// 20000-29999 (5,000 pairs: two per anchored call).
	RTPPorts PortRange `yaml:"rtp_ports"`
	// PortDrain is how long a freed port pair rests before another call
	// may get it, so stray packets of a finished call never reach the next
	// one. >= 0. Default 10s.
	PortDrain time.Duration `yaml:"port_drain"`
	// Timeout ends an answered call with BYE on both legs (CDR reason
	// "media timeout") when a leg that should be sending (sendrecv both
	// ways: not on hold) sent no RTP for this long. 0 turns it off.
	// Default 60s.
	Timeout time.Duration `yaml:"timeout"`
	// Advertise is the address the PBX's SDP names for its RTP: "" (the
	// default) names the address of the SIP listener facing the peer (its
	// advertise address, as in Via and Contact); "route" names the local
	// address the kernel routes to the peer from, which is right when only
	// SIP goes through a port mapping (a container publishing 5060 but not
	// its RTP range, reached directly on its bridge address); an IP names
	// that IP (a 1:1 NAT that maps the whole RTP range).
	Advertise string `yaml:"advertise"`
	// TonePlan is the national set of call-progress tones: cn or us.
	// Default cn.
	TonePlan string `yaml:"tone_plan"`
	// Files are the media IDs of the configuration (WAV files), besides
	// the built-in prompts. Default none.
	Files MediaFiles `yaml:"files"`
	// Prompts maps a cause of failure (vacant, unregistered, busy,
	// no_answer, rejected, barred, congestion) to what the caller hears in
	// early media before the final error; a cause left out keeps its
	// default (DefaultPrompts). Off with the media server.
	Prompts map[string]Prompt `yaml:"prompts"`
	// MOH is the music on hold. Default: the built-in tune.
	MOH MOH `yaml:"moh"`
}

// MediaAdvertiseRoute is media.advertise's "the kernel's source address
// towards the peer".
const MediaAdvertiseRoute = "route"

// PortRange is an inclusive UDP port range.
type PortRange struct {
	// Min is the lowest port, 1024-65534. Default 20000.
	Min int `yaml:"min"`
	// Max is the highest port, above Min, at most 65535; the range holds
	// at least one even/odd pair. Default 29999.
	Max int `yaml:"max"`
}

// Pairs is the number of RTP/RTCP pairs (even port P, P+1) in the range.
func (r PortRange) Pairs() int {
	lo := r.Min + r.Min%2
	if r.Max < lo+1 {
		return 0
	}
	return (r.Max-1-lo)/2 + 1
}

func defaultMedia() Media {
	return Media{
		Enabled:   true,
		Anchor:    AnchorRelay,
		RTPPorts:  PortRange{Min: 20000, Max: 29999},
		PortDrain: 10 * time.Second,
		Timeout:   60 * time.Second,
		TonePlan:  "cn",
	}
}

// AnchorFor returns the anchoring in effect for s: its own MediaAnchor, or
// media.anchor when it has none.
func (c *Config) AnchorFor(s Subscriber) Anchor {
	if s.MediaAnchor != AnchorInherit {
		return s.MediaAnchor
	}
	return c.Media.Anchor
}

func (v *validator) media() {
	m := v.c.Media
	if m.Anchor != AnchorRelay && m.Anchor != AnchorDirect {
		v.errorf("media.anchor", "unknown anchor %q (want relay or direct)", m.Anchor)
	}
	r := m.RTPPorts
	switch {
	case r.Min < 1024 || r.Min > 65534:
		v.errorf("media.rtp_ports.min", "must be between 1024 and 65534, got %d", r.Min)
	case r.Max <= r.Min || r.Max > 65535:
		v.errorf(v.inSource("media.rtp_ports.max", "media.rtp_ports.min"), "must be above min (%d) and at most 65535, got %d", r.Min, r.Max)
	case r.Pairs() == 0:
		v.errorf(v.inSource("media.rtp_ports.max", "media.rtp_ports.min"), "range %d-%d holds no even RTP port with its RTCP port", r.Min, r.Max)
	}
	if m.PortDrain < 0 {
		v.errorf("media.port_drain", "must not be negative, got %s", m.PortDrain)
	}
	if m.Timeout < 0 {
		v.errorf("media.timeout", "must not be negative (0 turns it off), got %s", m.Timeout)
	}
	if a := m.Advertise; a != "" && a != MediaAdvertiseRoute {
		if ip, err := netip.ParseAddr(a); err != nil || ip.IsUnspecified() || ip.Zone() != "" {
			v.errorf("media.advertise", "want \"\", %q or an IP address (not 0.0.0.0 or ::), got %q", MediaAdvertiseRoute, a)
		}
	}
	v.mediaPrompts()
}

func (v *validator) mediaAnchor(path string, a Anchor) {
	if a != AnchorInherit && a != AnchorRelay && a != AnchorDirect {
		v.errorf(path, "unknown anchor %q (want \"\", relay or direct)", a)
	}
}

// String is the range as "min-max".
func (r PortRange) String() string { return fmt.Sprintf("%d-%d", r.Min, r.Max) }
