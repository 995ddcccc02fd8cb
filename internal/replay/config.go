package replay

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"pbxlab/internal/flow"
	"pbxlab/internal/pcapio"
	"pbxlab/internal/sipwire"
)

// DefaultTimeout is how long an expected message is awaited.
const DefaultTimeout = 5 * time.Second

// Config is what to replay and against whom.
type Config struct {
	// Capture is the pcap/pcapng file to replay; Messages, when not nil,
	// are used instead (already read with sipwire).
	Capture  string
	Messages []sipwire.Message
	// Target is the live PBX, "host:port". Every packet goes there and
	// nowhere else.
	Target string
	// SUT is the address of the system under test in the capture; the
	// zero value takes flow's guess.
	SUT netip.AddrPort
	// Pace says when each message is sent once its causes have arrived.
	Pace Pace
	// Credentials answer the target's digest challenges.
	Credentials Credentials
	// Timeout bounds the wait for each expected message (DefaultTimeout
	// when zero).
	Timeout time.Duration
	// RTP also sends the parties' captured RTP (read from Capture) to the
	// media addresses the target's SDP names, on the target's host only,
	// with the captured spacing (scaled by Pace, except fast).
	RTP bool
	// Tolerances relax the comparison of the live flow with the capture's
	// (flow.IgnoreMethods, IgnoreAttrs, StatusClassOnly); none: every
	// method but OPTIONS, every key header, exact status codes.
	Tolerances []flow.CompareOption
}

// Pace is the timing of the sends: Fast sends as soon as the causes have
// arrived, else the captured delay after the last cause times Scale
// (original pace: Scale 1).
type Pace struct {
	Fast  bool
	Scale float64
}

// ParsePace reads "fast", "original" (or "") and "xN" (N a positive
// number: x2 is twice as fast, x0.5 half as fast).
func ParsePace(s string) (Pace, error) {
	switch s {
	case "", "original":
		return Pace{Scale: 1}, nil
	case "fast":
		return Pace{Fast: true}, nil
	}
	if rest, ok := strings.CutPrefix(s, "x"); ok {
		if f, err := strconv.ParseFloat(rest, 64); err == nil && f > 0 && f < 1e6 {
			return Pace{Scale: 1 / f}, nil
		}
	}
	return Pace{}, fmt.Errorf("replay pace %q: %w: want original, fast or xN", s, ErrPace)
}

// delay is the wait before a send whose captured delay after its last
// cause was d.
func (p Pace) delay(d time.Duration) time.Duration {
	if p.Fast || d <= 0 {
		return 0
	}
	s := p.Scale
	if s == 0 {
		s = 1
	}
	return time.Duration(float64(d) * s)
}

// Network opens the replay's connections, all to the target: "udp" (a
// connected socket) or "tcp". Tests inject one to record where packets
// go.
type Network interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Option configures New.
type Option func(*Replayer)

// WithNetwork replaces the system's network (net.Dialer).
func WithNetwork(n Network) Option { return func(r *Replayer) { r.net = n } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(r *Replayer) { r.log = l } }

// WithCapture records the live exchange (real addresses) to w; the
// caller closes w.
func WithCapture(w *pcapio.Writer) Option { return func(r *Replayer) { r.capture = w } }
