package sim_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSimDoesNotImportPBX keeps the simulator independent of our PBX: it
// must drive any SIP PBX by address.
func TestSimDoesNotImportPBX(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "pbxlab/sim/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "pbxlab/pbx" || strings.HasPrefix(p, "pbxlab/pbx/") || p == "testing" {
			t.Errorf("sim depends on %s", p)
		}
	}
}
