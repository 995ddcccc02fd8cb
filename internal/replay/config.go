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
	// Window bounds the replay's memory: the capture streams in and is
	// cut into windows of at most Window.Dialogs Call-IDs, each planned,
	// run, compared and dropped in turn (see Windowing; DefaultWindow
	// for zero fields).
	Window Windowing
}

// Windowing is how a capture of any size is replayed in bounded memory.
// A window takes the capture's next Dialogs Call-IDs, plus the messages
// of those Call-IDs among the next Lookahead messages read after it
// filled, and the other legs of its calls (an INVITE without To tag from
// the same caller to the same callee: a B2BUA's) among them (the others
// wait for the next window); a message of a dialog
// already replayed that comes later than that is dropped (counted in
// Report.Late). A window's dialogs run together, with the captured
// timing between them (Pace); the next window starts once every leg of
// the window ended (done, diverged or timed out), while the previous
// one still takes the target's late messages until quiet; each is then
// compared and dropped, its verdicts kept (at most Verdicts of each of
// equivalent and divergent, the others counted). At most two windows
// are held at once. With Config.RTP the capture is one window (the
// media is read whole).
type Windowing struct {
	Dialogs   int // Call-IDs per window
	Lookahead int // messages read past a full window for its dialogs
	// Parties is how many parties' connections stay open once idle
	// (a party the capture uses again later keeps its live address).
	Parties int
	// Verdicts caps the verdicts the report lists, per kind.
	Verdicts int
	// Limit stops after this many dialogs (0: the whole capture).
	Limit int
}

// DefaultWindow is the windowing of zero Windowing fields.
func DefaultWindow() Windowing {
	return Windowing{Dialogs: 500, Lookahead: 5000, Parties: 256, Verdicts: 1000}
}

// withDefaults fills the zero fields from DefaultWindow.
func (w Windowing) withDefaults() Windowing {
	d := DefaultWindow()
	if w.Dialogs <= 0 {
		w.Dialogs = d.Dialogs
	}
	if w.Lookahead <= 0 {
		w.Lookahead = d.Lookahead
	}
	if w.Parties <= 0 {
		w.Parties = d.Parties
	}
	if w.Verdicts <= 0 {
		w.Verdicts = d.Verdicts
	}
	if w.Limit < 0 {
		w.Limit = 0
	}
	return w
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
