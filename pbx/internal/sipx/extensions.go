package sipx

import "strings"

// Supported lists the SIP extensions (option tags) the PBX implements, the
// value of its Supported header: a request that Requires one of them is
// served, any other option gets 420 with Unsupported (RFC 3261 §8.2.2.3).
// 100rel: reliable provisional responses (RFC 3262), per leg in
// pbx/internal/call/prack.go; timer: session timers (RFC 4028), per leg in
// pbx/internal/call/timer.go.
const Supported = "100rel, timer"

// unsupported returns the option tags of required the PBX lacks.
func unsupported(required []string) []string {
	var out []string
	for _, opt := range required {
		if !IsSupported(opt) {
			out = append(out, opt)
		}
	}
	return out
}

// IsSupported reports whether the PBX implements option tag opt.
func IsSupported(opt string) bool {
	for _, s := range strings.Split(Supported, ",") {
		if strings.EqualFold(strings.TrimSpace(s), strings.TrimSpace(opt)) {
			return true
		}
	}
	return false
}
