package features

import (
	"io/fs"
	"strings"
	"testing"

	"pbxlab/pcaps"
)

// TestEveryGoldenFlowIsUsed: each pcaps/golden/*.flow is named by a
// scenario's "the call flow matches" step, and each named one exists: a
// golden file no test reads is dead weight that would hide a stale flow.
func TestEveryGoldenFlowIsUsed(t *testing.T) {
	golden, err := fs.Glob(pcaps.Golden(), "*.flow")
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	err = fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".feature") {
			return err
		}
		b, err := fs.ReadFile(files, path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(b), "\n") {
			if _, rest, ok := strings.Cut(line, "the call flow matches `pcaps/golden/"); ok {
				name, _, _ := strings.Cut(rest, "`")
				named[name] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(golden) == 0 || len(named) == 0 {
		t.Fatalf("golden flows %v, named by scenarios %v: want some of each", golden, named)
	}
	for _, g := range golden {
		if !named[g] {
			t.Errorf("pcaps/golden/%s is used by no scenario", g)
		}
		delete(named, g)
	}
	for n := range named {
		t.Errorf("a scenario names pcaps/golden/%s, which does not exist (write it with -update)", n)
	}
}
