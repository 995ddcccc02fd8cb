package pcapio

import (
	"log/slog"

	"pbxlab/internal/clock"
)

// Option configures a Writer.
type Option func(*Writer)

// WithClock sets the time source for packet timestamps (default: wall clock).
func WithClock(c clock.Clock) Option {
	return func(w *Writer) {
		if c != nil {
			w.clk = c
		}
	}
}

// WithLogger sets the logger that reports a failed capture (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(w *Writer) {
		if l != nil {
			w.log = l
		}
	}
}
