package interop

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"pbxlab/internal/sipstack"
	"pbxlab/internal/testproc"
)

// binEnv names the pbxlab binary under test. TestMain builds ../cmd/pbxlab
// into a temporary directory and sets it, unless it is already set (CI may
// pass a binary it built once).
const binEnv = "PBXLAB_BIN"

// TestMain first kills what an earlier test binary that died (panic,
// timeout, SIGKILL) left running (internal/testproc.Sweep), then builds
// the pbxlab binary once for every test of the package, with the race
// detector when the tests themselves run with -race, so that a data race
// under real SIP load fails the PBX's exit status.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// The tests' own phones run sipgo in this process (see internal/sipstack).
	if err := sipstack.Setup(sipstack.Defaults()); err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	swept, err := testproc.Sweep(testproc.DefaultRunDir())
	for _, s := range swept {
		fmt.Fprintln(os.Stderr, "interop: killed what a dead test binary left:", s)
	}
	if err != nil { // loud, but the tests use ports of their own
		fmt.Fprintln(os.Stderr, "interop: sweep:", err)
	}
	if os.Getenv(binEnv) != "" {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "pbxlab-interop-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "pbxlab")
	args := []string{"build", "-o", bin}
	if raceBuild {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "../cmd/pbxlab")...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := testproc.Run(ctx, cmd); err != nil {
		fmt.Fprintln(os.Stderr, "interop: go build ../cmd/pbxlab:", err)
		return 1
	}
	if err := os.Setenv(binEnv, bin); err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	return m.Run()
}
