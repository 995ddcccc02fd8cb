//go:build !unix

package procs

import "time"

// ProcessCPU is unknown here (false): a Controller leaves GOMAXPROCS alone.
func ProcessCPU() (time.Duration, bool) { return 0, false }
