//go:build !unix

package procs

import "time"

// processCPU is unknown here: a Controller leaves GOMAXPROCS alone.
func processCPU() (time.Duration, bool) { return 0, false }
