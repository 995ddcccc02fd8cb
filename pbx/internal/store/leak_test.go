package store

import (
	"pbxlab/internal/leakcheck"
	"testing"
)

// checkNoLeak fails t if goroutines outlive it (see internal/leakcheck).
func checkNoLeak(t *testing.T) { t.Helper(); leakcheck.Check(t) }
