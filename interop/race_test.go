//go:build race

package interop

// raceBuild: the tests run with -race, so the PBX binary is built with it.
const raceBuild = true
