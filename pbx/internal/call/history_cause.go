package call

import (
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// A diverted call's History-Info (RFC 7044 §9.1, RFC 4458): when the
// caller uses History-Info, the entry of a target the call was diverted
// to says why — the "cause" URI parameter of RFC 4458 on the target, and
// "mp" (the target was found by a mapping: a forward, a 3xx) instead of
// "rc" (a registered contact of the AOR dialled).

// causeOfReason maps an RFC 5806 diversion reason to its RFC 4458 cause
// (RFC 6044 §6, table 1); 0 when there is none.
func causeOfReason(reason string) int {
	switch reason {
	case "unconditional":
		return 302
	case "user-busy":
		return 486
	case "no-answer":
		return 408
	case "unavailable":
		return 503
	case "deflection":
		return 480
	case "unknown":
		return 404
	}
	return 0
}

// withDivertCause marks the last History-Info entry of hs (the fork's
// own) as diverted with cause; hs unchanged when cause is 0 or there is
// no such entry.
func withDivertCause(hs []sip.Header, cause int) []sip.Header {
	if cause == 0 || len(hs) == 0 {
		return hs
	}
	last := hs[len(hs)-1]
	v := last.Value()
	end := strings.IndexByte(v, '>')
	if last.Name() != "History-Info" || end < 0 || !strings.Contains(v[end:], ";rc=") {
		return hs
	}
	v = v[:end] + ";cause=" + strconv.Itoa(cause) + strings.Replace(v[end:], ";rc=", ";mp=", 1)
	out := append([]sip.Header(nil), hs[:len(hs)-1]...)
	return append(out, sip.NewHeader("History-Info", v))
}
