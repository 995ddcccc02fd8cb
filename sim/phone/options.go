package phone

import (
	"log/slog"

	"github.com/emiago/sipgo/sip"

	"pbxlab/sim/quality"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/internal/pcapio"
)

// Option configures an Agent.
type Option func(*Agent)

// WithClock sets the clock driving registration refresh, answer delays and
// the timestamps of calls; default the wall clock.
func WithClock(c clock.Clock) Option { return func(a *Agent) { a.clock = c } }

// WithLogger sets the logger (also handed to sipgo); default discards.
func WithLogger(l *slog.Logger) Option { return func(a *Agent) { a.log = l } }

// WithCapture records every SIP and RTP packet the Agent sends or receives.
// A nil writer records nothing.
func WithCapture(w *pcapio.Writer) Option { return func(a *Agent) { a.capture = w } }

// WithUserAgent sets the User-Agent name sent in requests; default "pbxlab-sim".
func WithUserAgent(name string) Option { return func(a *Agent) { a.uaName = name } }

// WithRetryInterval sets how long a phone waits before retrying a failed
// registration refresh; default 30 s.
func WithRetryInterval(d time.Duration) Option { return func(a *Agent) { a.retry = d } }

// WithAudioWindow sets how long TwoWayAudio listens per check block
// (the tone detector's analysis window); default 200 ms.
func WithAudioWindow(d time.Duration) Option { return func(a *Agent) { a.audioWindow = d } }

// WithQuality shares r, the process's registry of simulated senders, with
// the Agent: its calls send with SSRCs r hands out and measure one-way
// delay exactly for streams from any phone registered with r (the phones of
// one simulator run share one). Without it a call still measures loss,
// jitter and MOS (Call.Quality), and delay variation only.
func WithQuality(r *quality.Registry) Option { return func(a *Agent) { a.quality = r } }

// RequestFilter sees every request an Agent receives before the Agent
// does, REGISTER included (which an Agent otherwise answers 405). It
// returns true when it has handled the request: it answered it on tx, or
// chose to answer nothing at all (a dead server); the Agent then does
// nothing more with it. It runs on sipgo's handler goroutine and must
// return promptly.
type RequestFilter func(req *sip.Request, tx sip.ServerTransaction) bool

// WithRequestFilter installs f in front of the Agent's request handling:
// how a simulated server (a registrar, a carrier) is built on an Agent.
func WithRequestFilter(f RequestFilter) Option { return func(a *Agent) { a.filter = f } }

// WithDefaultPhone makes the phone with this number (added with NewPhone)
// take the new calls whose Request-URI and To users match no phone: a
// catch-all, as a gateway that terminates any number.
func WithDefaultPhone(number string) Option { return func(a *Agent) { a.fallback = number } }
