package sipx

import "strings"

// implementsExtension reports whether the PBX implements an option tag
// (RFC 3261 §19.2): a request that requires only such tags is not refused
// with 420.
func implementsExtension(tag string) bool {
	switch strings.ToLower(tag) {
	case "timer": // RFC 4028 session timers (call/timer.go)
		return true
	}
	return false
}

// unsupported returns the option tags of a Require list the PBX lacks.
func unsupported(opts []string) []string {
	var out []string
	for _, o := range opts {
		if !implementsExtension(o) {
			out = append(out, o)
		}
	}
	return out
}
