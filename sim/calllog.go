package sim

import (
	"context"
	"log/slog"
)

// callLog is a call's logger, made only when the call logs something: the
// attributes (caller, callee, ...) of slog's With are formatted at once by
// a text or JSON handler, which a load run would pay on every call for the
// few that log. Not safe for concurrent use: one call's goroutine owns it.
type callLog struct {
	base  *slog.Logger
	attrs []any
	l     *slog.Logger
}

// newCallLog is base.With(attrs...), made on first use.
func newCallLog(base *slog.Logger, attrs ...any) *callLog {
	return &callLog{base: base, attrs: attrs}
}

// logger returns the call's logger, making it the first time.
func (c *callLog) logger() *slog.Logger {
	if c.l == nil {
		c.l = c.base.With(c.attrs...)
	}
	return c.l
}

// Info logs at info level with the call's attributes.
func (c *callLog) Info(msg string, args ...any) { c.logger().Info(msg, args...) }

// debugEnabled reports whether a Debug record would be written, so that a
// call builds its final debug line only when it is.
func (c *callLog) debugEnabled() bool { return c.base.Enabled(context.Background(), slog.LevelDebug) }

// Debug logs at debug level with the call's attributes.
func (c *callLog) Debug(msg string, args ...any) { c.logger().Debug(msg, args...) }
