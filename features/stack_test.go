package features

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"pbxlab/internal/netns"
	"pbxlab/internal/pbxcontainer"
	"pbxlab/internal/sipstack"
	"pbxlab/internal/testpeer"
)

// TestMain sets sipgo's process-wide settings up once, as every pbxlab
// entry point does (see internal/sipstack); runs a NAT test's child part
// when the environment says it is one (nat_test.go); turns testcontainers' reaper
// off (an image to pull, and this engine has no registry) and removes the
// containers and NAT namespaces a killed earlier run left; at the end it removes the
// container run's image and network.
func TestMain(m *testing.M) {
	if err := sipstack.Setup(sipstack.Defaults()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// the NAT tests' children, re-run inside the NAT's LAN namespace
	if addr := os.Getenv(natChildEnv); addr != "" {
		os.Exit(natFeaturesChild(addr))
	}
	if addr := os.Getenv(natPhoneEnv); addr != "" {
		os.Exit(natPhoneChild(addr))
	}
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	if _, err := testpeer.PingDocker(ctx, testpeer.DockerHost()); err == nil {
		if s, err := pbxcontainer.Sweep(ctx); err != nil || s != (pbxcontainer.Swept{}) {
			fmt.Fprintf(os.Stderr, "features: swept %+v left by dead test binaries (%v)\n", s, err)
		}
	}
	if os.Geteuid() == 0 {
		if gone, err := netns.Sweep(ctx); err != nil || len(gone) > 0 {
			fmt.Fprintf(os.Stderr, "features: swept namespaces %v left by dead test binaries (%v)\n", gone, err)
		}
	}
	cancel()
	code := m.Run()
	containers.close()
	os.Exit(code)
}
