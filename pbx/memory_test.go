package pbx_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"pbxlab/pbx/config"
)

// TestMemoryReleaseMetrics: the returner of memory.release_when_quiet
// (on by default) exports its counters, at 0 before any burst.
func TestMemoryReleaseMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if !config.Defaults().Memory.ReleaseWhenQuiet {
		t.Error("memory.release_when_quiet is off by default")
	}
	_, base := startPBXAdmin(t)
	_, _, body := httpGet(ctx, t, base+"/metrics")
	for _, want := range []string{"pbxlab_memory_releases_total 0\n", "pbxlab_memory_released_bytes_total 0\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
