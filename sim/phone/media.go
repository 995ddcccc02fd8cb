package phone

import (
	"context"
	"fmt"
	"net/netip"
	"sync"

	"pbxlab/internal/rtpaudio"
	"pbxlab/internal/sdpneg"
	"pbxlab/internal/tone"
)

// toneAmplitude is the peak of the phone's tone, as a fraction of full scale.
const toneAmplitude = 0.3

// media is the RTP stream of one call: it receives from the moment it is
// opened and sends the phone's tone once the far end's address is known.
type media struct {
	stream *rtpaudio.Stream
	tone   float64
	mute   bool
	cancel context.CancelFunc
	ctx    context.Context
	wg     sync.WaitGroup

	mu      sync.Mutex
	sending bool
}

// openMedia binds a stream on the Agent's IP (even port) and starts receiving.
func (a *Agent) openMedia(freq float64, mute bool) (*media, error) {
	opts := []rtpaudio.Option{rtpaudio.WithClock(a.clock), rtpaudio.WithLogger(a.log)}
	if w := a.capture; w != nil {
		opts = append(opts, rtpaudio.WithTap(func(dir rtpaudio.Dir, local, remote netip.AddrPort, payload []byte) {
			if dir == rtpaudio.Out {
				w.UDP(local, remote, payload)
			} else {
				w.UDP(remote, local, payload)
			}
		}))
	}
	s, err := rtpaudio.Listen(a.cfg.LocalIP, opts...)
	if err != nil {
		return nil, fmt.Errorf("open media: %w", err)
	}
	m := &media{stream: s, tone: freq, mute: mute}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.wg.Go(func() {
		if err := s.Run(m.ctx); err != nil {
			a.log.Debug("rtp receive stopped", "local", s.LocalAddr(), "error", err)
		}
	})
	return m, nil
}

// local is where we receive RTP (the address our SDP advertises).
func (m *media) local() netip.AddrPort { return m.stream.LocalAddr() }

// apply points the stream at the far end of a negotiated session and, unless
// muted, starts sending the tone.
func (m *media) apply(remote *sdpneg.Session) error {
	codec, ok := remote.AudioCodec()
	if !ok || !remote.Addr.IsValid() {
		return fmt.Errorf("apply media: %w", ErrNoMedia)
	}
	if err := m.stream.SetCodec(codec); err != nil {
		return fmt.Errorf("apply media: %w: %w", ErrNoMedia, err)
	}
	m.stream.SetRemote(remote.Addr)
	m.startSending()
	return nil
}

func (m *media) startSending() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sending || m.mute || m.ctx.Err() != nil {
		return
	}
	m.sending = true
	gen := tone.New(m.tone, tone.DefaultRate, toneAmplitude)
	m.wg.Go(func() { _ = m.stream.Send(m.ctx, gen.Fill) })
}

// close stops sending and receiving and releases the socket.
func (m *media) close() {
	m.mu.Lock()
	m.cancel()
	m.mu.Unlock()
	_ = m.stream.Close()
	m.wg.Wait()
}
