// Package scenarios embeds the scenario files of this folder so the binary
// (`pbxlab demo`, `pbxlab sim --builtin NAME`) carries them.
package scenarios

import "embed"

// Files holds every *.yaml scenario of this folder.
//
//go:embed *.yaml
var Files embed.FS
