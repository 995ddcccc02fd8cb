package phone

import (
	"log/slog"
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
