package main

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/testproc"
)

// TestBinaryLinksNoTestSupport: the pbxlab binary (and the container image
// made of it) carries no test machinery: not testcontainers-go and the
// Docker client (internal/pbxcontainer, for tests only), not the network
// namespace helpers. (Package testing itself is linked already, through
// godog, which the demo's live features use.)
func TestBinaryLinksNoTestSupport(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.Command("go", "list", "-deps", "pbxlab/cmd/pbxlab")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := testproc.Run(ctx, cmd); err != nil {
		t.Fatalf("go list: %v\n%s", err, out.Bytes())
	}
	for _, p := range strings.Fields(out.String()) {
		switch {
		case p == "pbxlab/internal/pbxcontainer", p == "pbxlab/internal/netns",
			strings.HasPrefix(p, "github.com/testcontainers/"),
			strings.HasPrefix(p, "github.com/moby/"):
			t.Errorf("cmd/pbxlab depends on %s", p)
		}
	}
}
