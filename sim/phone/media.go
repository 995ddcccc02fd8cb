package phone

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtp"

	"pbxlab/internal/rtpaudio"
	"pbxlab/internal/sdpneg"
	"pbxlab/internal/tone"
	"pbxlab/sim/quality"
)

// toneAmplitude is the peak of the phone's identity (both tones together),
// as a fraction of full scale.
const toneAmplitude = 0.3

// mediaConfig is what one call's media does (the phone's settings when the
// call starts).
type mediaConfig struct {
	identity Identity
	mute     bool // send silence
	echo     bool // send back what arrives instead of the identity
	deadPort bool // the media socket sends but is never read
	codecs   []sdpneg.Codec
	sdpAddr  netip.Addr // the IP our SDP names (invalid: the real one)
	// signallingOnly: the phone opens no RTP socket (PhoneConfig.SignallingOnly)
	signallingOnly bool
	number         string // the phone's, for Config.ListenMedia
	stream         uint64 // the index of this stream among the phone's
}

// media is the RTP stream of one call: it receives from the moment it is
// opened and sends the phone's identity (or its echo) once the far end's
// address is known.
type media struct {
	stream *rtpaudio.Stream
	cfg    mediaConfig
	meter  *quality.Meter    // what arrives: loss, jitter, delay, MOS
	reg    *quality.Registry // the Agent's (WithQuality), nil without
	ssrc   uint32            // claimed from reg
	echo   *echoBuffer       // set with cfg.echo
	cancel context.CancelFunc
	ctx    context.Context
	wg     sync.WaitGroup

	// applied is closed once a far end's SDP was applied (codec, events,
	// remote): a call may be answered a moment before (SendDTMF waits)
	applied     chan struct{}
	appliedOnce sync.Once

	mu         sync.Mutex
	sending    bool
	stopped    bool // StopSending: silent for the rest of the call
	stopSender context.CancelFunc
	senderDone chan struct{}
}

// openMedia binds a stream on the Agent's IP (even port) and starts receiving.
func (a *Agent) openMedia(mc mediaConfig) (*media, error) {
	m := &media{cfg: mc, applied: make(chan struct{})}
	if mc.echo {
		m.echo = newEchoBuffer()
	}
	opts := []rtpaudio.Option{rtpaudio.WithClock(a.clock), rtpaudio.WithLogger(a.log)}
	if a.quality != nil {
		ssrc, log := a.quality.Claim()
		m.reg, m.ssrc = a.quality, ssrc
		m.meter = quality.NewMeter(quality.WithRegistry(a.quality))
		opts = append(opts, rtpaudio.WithSSRC(ssrc), rtpaudio.WithSent(func(h *rtp.Header, at time.Time) { log.Record(h.Timestamp, at) }))
	} else {
		m.meter = quality.NewMeter()
	}
	meter := m.meter
	opts = append(opts, rtpaudio.WithReceived(func(h *rtp.Header, at time.Time) { meter.Packet(h.SSRC, h.SequenceNumber, h.Timestamp, at) }))
	if w, echo := a.capture, m.echo; w != nil || echo != nil {
		opts = append(opts, rtpaudio.WithTap(func(dir rtpaudio.Dir, local, remote netip.AddrPort, payload []byte) {
			switch {
			case w != nil && dir == rtpaudio.Out:
				w.UDP(local, remote, payload)
			case w != nil:
				w.UDP(remote, local, payload)
			}
			if echo != nil && dir == rtpaudio.In {
				echo.push(payload, m.stream.Codec())
			}
		}))
	}
	var listen rtpaudio.ListenFunc
	if l := a.cfg.ListenMedia; l != nil {
		listen = func(network, address string) (net.PacketConn, error) {
			return l(mc.number, mc.stream, network, address)
		}
	}
	s, err := rtpaudio.ListenWith(listen, a.cfg.LocalIP, opts...)
	if err != nil {
		if m.reg != nil {
			m.reg.Release(m.ssrc)
		}
		return nil, fmt.Errorf("open media: %w", err)
	}
	m.stream = s
	m.ctx, m.cancel = context.WithCancel(context.Background())
	if mc.deadPort {
		return m, nil // nothing ever reads the socket
	}
	m.wg.Go(func() {
		if err := s.Run(m.ctx); err != nil {
			a.log.Debug("rtp receive stopped", "local", s.LocalAddr(), "error", err)
		}
	})
	return m, nil
}

// local is the address our SDP advertises: where we receive RTP (with
// the configured SDP address in place of our IP, if any).
func (m *media) local() netip.AddrPort {
	if m.cfg.sdpAddr.IsValid() {
		return netip.AddrPortFrom(m.cfg.sdpAddr, m.stream.LocalAddr().Port())
	}
	return m.stream.LocalAddr()
}

// apply points the stream at the far end of a negotiated session and, unless
// muted, starts sending.
func (m *media) apply(remote *sdpneg.Session) error {
	codec, ok := remote.AudioCodec()
	if !ok || !remote.Addr.IsValid() {
		return fmt.Errorf("apply media: %w", ErrNoMedia)
	}
	if err := m.stream.SetCodec(codec); err != nil {
		return fmt.Errorf("apply media: %w: %w", ErrNoMedia, err)
	}
	m.stream.SetRemote(remote.Addr)
	m.applyEvents(remote)
	m.startSending()
	m.appliedOnce.Do(func() { close(m.applied) })
	return nil
}

func (m *media) startSending() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sending || m.stopped || m.ctx.Err() != nil {
		return
	}
	m.sending = true
	src := tone.NewChord(tone.DefaultRate, toneAmplitude, m.cfg.identity.Freqs()...).Fill
	switch {
	case m.cfg.mute:
		// a muted phone sends silence, as a real one does: the far end
		// hears nothing, and a NAT or a latching PBX still sees its RTP
		src = func(buf []int16) { clear(buf) }
	case m.echo != nil:
		src = m.echo.fill
	}
	ctx, cancel := context.WithCancel(m.ctx)
	m.stopSender, m.senderDone = cancel, make(chan struct{})
	done := m.senderDone
	m.wg.Go(func() {
		defer close(done)
		_ = m.stream.Send(ctx, src)
	})
}

// stopSending silences the stream for the rest of the call (it returns
// once the last packet is out); it keeps receiving.
func (m *media) stopSending() {
	m.mu.Lock()
	m.stopped = true
	stop, done := m.stopSender, m.senderDone
	m.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

// close stops sending and receiving and releases the sockets.
func (m *media) close() {
	m.mu.Lock()
	m.cancel()
	m.mu.Unlock()
	_ = m.stream.Close()
	m.wg.Wait()
	if m.reg != nil {
		m.reg.Release(m.ssrc)
	}
}
