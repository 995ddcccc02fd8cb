package replay

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"pbxlab/internal/pcapio"
	"pbxlab/internal/sdpneg"
)

// PacketNetwork opens the local sockets --rtp sends from (default
// net.ListenConfig).
type PacketNetwork interface {
	ListenPacket(ctx context.Context, network, address string) (net.PacketConn, error)
}

// WithPacketNetwork replaces the system's network for the RTP sockets.
func WithPacketNetwork(n PacketNetwork) Option { return func(r *Replayer) { r.media = n } }

// stream is one party's captured RTP in one leg: sent again, with the
// captured spacing, from a local socket (whose port the SDP announces) to
// the media address the target's SDP names, once both SDPs went by.
type stream struct {
	captured netip.AddrPort // the party's media address in the capture
	pkts     []pcapio.Packet
	conn     net.PacketConn
	local    netip.AddrPort
	remote   netip.AddrPort
	started  bool
}

// planMedia finds each leg's RTP in the capture: the UDP packets from the
// media address the party's SDP announced.
func (r *Replayer) planMedia() error {
	pkts, err := pcapio.ReadFile(r.cfg.Capture)
	if err != nil && len(pkts) == 0 {
		return fmt.Errorf("replay rtp %s: %w", r.cfg.Capture, err)
	}
	byAddr := map[netip.AddrPort]*stream{}
	for _, s := range r.plan.steps {
		if !s.send || s.leg.stream != nil || len(s.msg.Msg.Body()) == 0 {
			continue
		}
		ses, err := sdpneg.Parse(s.msg.Msg.Body())
		if err != nil || ses.Addr.Port() == 0 {
			continue
		}
		a := netip.AddrPortFrom(ses.Addr.Addr().Unmap(), ses.Addr.Port())
		if byAddr[a] == nil {
			st := &stream{captured: a}
			byAddr[a] = st
			s.leg.stream = st
		}
	}
	for _, p := range pkts {
		if p.Proto != pcapio.ProtoUDP || len(p.Payload) < 12 || p.Payload[0]>>6 != 2 {
			continue
		}
		if st := byAddr[netip.AddrPortFrom(p.Src.Addr().Unmap(), p.Src.Port())]; st != nil {
			st.pkts = append(st.pkts, p)
		}
	}
	for _, lg := range r.plan.legs {
		if lg.stream != nil && len(lg.stream.pkts) == 0 {
			lg.stream = nil
		}
	}
	return nil
}

// openMedia binds the local RTP sockets, on the party's live address.
func (r *Replayer) openMedia(ctx context.Context) error {
	for _, lg := range r.plan.legs {
		st := lg.stream
		if st == nil {
			continue
		}
		c, err := r.media.ListenPacket(ctx, "udp", netip.AddrPortFrom(lg.party.local.Addr(), 0).String())
		if err != nil {
			return fmt.Errorf("replay rtp socket: %w", err)
		}
		st.conn = c
		la, err := netip.ParseAddrPort(c.LocalAddr().String())
		if err != nil {
			return fmt.Errorf("replay rtp socket %s: %w", c.LocalAddr(), err)
		}
		st.local = la
	}
	return nil
}

// startMedia sends the leg's RTP once its SDP went out and the target's
// came in; a media address on another host than the target's is refused
// (noted on the leg).
func (r *Replayer) startMedia(lg *leg) {
	st := lg.stream
	if st == nil || st.conn == nil || st.started || !lg.live.sentSDP || !st.remote.IsValid() {
		return
	}
	st.started = true
	if st.remote.Addr() != r.target.Addr() {
		r.mediaNotes = append(r.mediaNotes, fmt.Sprintf("%s: RTP not sent: the media address %s is not the target's host", lg.callID, st.remote))
		return
	}
	scale := r.cfg.Pace.Scale
	if r.cfg.Pace.Fast || scale == 0 {
		scale = 1 // media keeps its rate
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		first, start := st.pkts[0].Time, time.Now()
		t := time.NewTimer(0)
		defer t.Stop()
		for _, p := range st.pkts {
			at := start.Add(time.Duration(float64(p.Time.Sub(first)) * scale))
			t.Reset(time.Until(at))
			select {
			case <-t.C:
			case <-r.stop:
				return
			}
			if err := r.out.sendMedia(st.conn, st.remote, p.Payload); err != nil {
				return
			}
			atomic.AddInt64(&r.rtpSent, 1)
		}
	}()
}

// sendMedia writes RTP to the target's host only.
func (s sender) sendMedia(c net.PacketConn, to netip.AddrPort, b []byte) error {
	if to.Addr().Unmap() != s.target.Addr().Unmap() {
		return fmt.Errorf("replay rtp to %s: %w", to, ErrForbiddenDestination)
	}
	if _, err := c.WriteTo(b, net.UDPAddrFromAddrPort(to)); err != nil && !strings.Contains(err.Error(), "closed") {
		return fmt.Errorf("replay rtp: %w", err)
	}
	return nil
}
