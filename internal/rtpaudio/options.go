package rtpaudio

import (
	"github.com/pion/rtp"
	"log/slog"
	"net/netip"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/internal/sdpneg"
)

// Dir says whether a tapped packet was sent or received.
type Dir uint8

// Packet directions passed to a Tap.
const (
	Out Dir = iota + 1 // sent by this stream
	In                 // received by this stream (every datagram, even malformed)
)

// String returns "in" or "out".
func (d Dir) String() string {
	if d == In {
		return "in"
	}
	return "out"
}

// Tap is called for every datagram sent or received, with the whole UDP
// payload (the RTP packet); payload is a fresh copy the callee may keep.
// It runs on the sending or receiving goroutine and must not block.
type Tap func(dir Dir, local, remote netip.AddrPort, payload []byte)

// Option configures a Stream.
type Option func(*Stream)

// WithCodec sets the payload format (PCMU or PCMA); default PCMU.
func WithCodec(c sdpneg.Codec) Option { return func(s *Stream) { s.codec = c } }

// WithPTime sets the packetisation time; default 20 ms.
func WithPTime(d time.Duration) Option { return func(s *Stream) { s.ptime = d } }

// WithClock sets the clock that stamps Stats.LastPacket (for RTP timeouts).
// Media pacing and jitter use real time regardless.
func WithClock(c clock.Clock) Option { return func(s *Stream) { s.clock = c } }

// WithLogger sets the logger; default discards.
func WithLogger(l *slog.Logger) Option { return func(s *Stream) { s.log = l } }

// WithTap installs a packet tap (the capture layer hooks here).
func WithTap(t Tap) Option { return func(s *Stream) { s.tap = t } }

// WithBuffer sets how much received audio is kept for Recent; default 2 s.
func WithBuffer(d time.Duration) Option { return func(s *Stream) { s.bufLen = d } }

// WithListenWindow sets how much recent audio Hears analyses; default 400 ms.
func WithListenWindow(d time.Duration) Option { return func(s *Stream) { s.window = d } }

// WithSourceTimeout sets how long the locked SSRC may stay silent before
// another source is accepted; default 500 ms.
func WithSourceTimeout(d time.Duration) Option { return func(s *Stream) { s.srcTimeout = d } }

// Observer is told the header of every RTP packet of the stream's audio
// (at: when it was sent or when it arrived, real time). The quality meter
// of a simulated call hooks here. It must not block: it runs on the send
// and receive paths.
type Observer func(h *rtp.Header, at time.Time)

// WithSent calls o for every packet sent.
func WithSent(o Observer) Option { return func(s *Stream) { s.sent = o } }

// WithReceived calls o for every audio packet accepted (right payload type,
// the locked source), before it is decoded.
func WithReceived(o Observer) Option { return func(s *Stream) { s.received = o } }

// WithSSRC sets the sender's SSRC (default random, RFC 3550 §8.1), e.g. one
// a registry of the process handed out as unique.
func WithSSRC(ssrc uint32) Option { return func(s *Stream) { s.ssrc = &ssrc } }
