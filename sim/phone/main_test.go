package phone

import (
	"fmt"
	"log/slog"
	"os"
	"testing"

	"pbxlab/internal/sipstack"
)

// TestMain sets sipgo's process-wide settings up once, as every pbxlab
// entry point does (see internal/sipstack): the settings `pbxlab sim` uses.
// It turns on debug logging (sipgo and the Agents) when SIPDEBUG is set.
func TestMain(m *testing.M) {
	if os.Getenv("SIPDEBUG") != "" {
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})))
	}
	if err := sipstack.Setup(sipstack.Defaults()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
