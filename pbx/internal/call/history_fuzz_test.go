package call

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// FuzzHistoryHeaders: any History-Info and Supported from a caller: no
// panic, every entry of the caller kept, and the PBX's own entry last.
func FuzzHistoryHeaders(f *testing.F) {
	f.Add(`<sip:a@x>;index=1, "b, c" <sip:b@x?Reason=SIP%3Bcause%3D302>;index=1.1`, "histinfo")
	f.Add(`<sip:a@x;lr>;index=1,,<`, "")
	f.Fuzz(func(t *testing.T, hi, supported string) {
		in := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "1001", Host: "pbx"})
		if hi != "" {
			in.AppendHeader(sip.NewHeader("History-Info", hi))
		}
		if supported != "" {
			in.AppendHeader(sip.NewHeader("Supported", supported))
		}
		out := historyHeaders(in, sip.Uri{Scheme: "sip", User: "1001", Host: "10.0.0.5", Port: 5060}, 2)
		entries := historyEntries(in)
		if len(entries) == 0 && !supports(in, "histinfo") {
			if len(out) != 0 {
				t.Fatalf("%d headers for a caller without History-Info", len(out))
			}
			return
		}
		if len(out) < len(entries)+1 || !strings.Contains(out[len(out)-1].Value(), "sip:1001@10.0.0.5:5060") {
			t.Fatalf("out %v for entries %v", out, entries)
		}
	})
}
