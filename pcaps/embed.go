// Package pcaps holds what is derived from captures and committed: the
// golden call flows (golden/*.flow, written by internal/flow) that the
// feature suite compares each run's capture with, and beside each flow the
// PBX-side capture it was normalised from (golden/*.pcapng) and the sidecar
// that says what produced it (golden/*.yaml, a Setup). See README.md.
package pcaps

import (
	"embed"
	"io/fs"
)

//go:embed golden
var golden embed.FS

// Golden is the folder of golden call flows, captures and sidecars, by
// file name ("basic-call.flow", "basic-call.pcapng", "basic-call.yaml").
func Golden() fs.FS {
	sub, err := fs.Sub(golden, "golden")
	if err != nil {
		panic(err) // "golden" is a valid path: cannot happen
	}
	return sub
}
