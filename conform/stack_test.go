package conform

import (
	"fmt"
	"os"
	"testing"

	"pbxlab/internal/sipstack"
	"pbxlab/internal/testproc"
)

// TestMain sets sipgo's process-wide settings up once, as every pbxlab
// entry point does (see internal/sipstack), and first kills what an
// earlier test binary that died left running (the Kamailio test's).
func TestMain(m *testing.M) {
	if err := sipstack.Setup(sipstack.Defaults()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	swept, err := testproc.Sweep(testproc.DefaultRunDir())
	for _, s := range swept {
		fmt.Fprintln(os.Stderr, "conform: killed what a dead test binary left:", s)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "conform: sweep:", err)
	}
	os.Exit(m.Run())
}
