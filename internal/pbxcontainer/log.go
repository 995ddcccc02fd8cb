package pbxcontainer

import (
	"fmt"
	"log/slog"
	"strings"

	tclog "github.com/testcontainers/testcontainers-go/log"
)

// tcLogger hands testcontainers' Printf logging to slog at debug level.
type tcLogger struct{ log *slog.Logger }

func (l tcLogger) Printf(format string, v ...any) {
	l.log.Debug(strings.TrimSpace(fmt.Sprintf(format, v...)), "component", "testcontainers")
}

var _ tclog.Logger = tcLogger{}

func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
