package sim_test

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/testproc"
)

// TestSimDoesNotImportPBX keeps the simulator independent of our PBX: it
// must drive any SIP PBX by address.
func TestSimDoesNotImportPBX(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.Command("go", "list", "-deps", "pbxlab/sim/...")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := testproc.Run(ctx, cmd); err != nil {
		t.Fatalf("go list: %v\n%s", err, out.Bytes())
	}
	for _, p := range strings.Fields(out.String()) {
		if p == "pbxlab/pbx" || strings.HasPrefix(p, "pbxlab/pbx/") || p == "testing" {
			t.Errorf("sim depends on %s", p)
		}
	}
}
