package phone

import (
	"log/slog"
	"os"
	"testing"
)

// TestMain turns on debug logging (sipgo and the Agents) when SIPDEBUG is set.
func TestMain(m *testing.M) {
	if os.Getenv("SIPDEBUG") != "" {
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})))
	}
	os.Exit(m.Run())
}
