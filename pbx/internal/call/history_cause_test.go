package call

import (
	"testing"

	"github.com/emiago/sipgo/sip"
)

// TestWithDivertCause: a diverted fork's own History-Info entry gets the
// RFC 4458 cause of the diversion's reason and mp instead of rc; the
// entries before it and a call never diverted are left alone.
func TestWithDivertCause(t *testing.T) {
	in := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "1002", Host: "pbx.example"})
	in.AppendHeader(sip.NewHeader("Supported", "histinfo"))
	target := sip.Uri{Scheme: "sip", User: "1003", Host: "10.0.0.5", Port: 5060}
	for _, tc := range []struct {
		reason string
		want   string // the fork's entry
	}{
		{"", "<sip:1003@10.0.0.5:5060>;index=1.2;rc=1"},
		{"unconditional", "<sip:1003@10.0.0.5:5060;cause=302>;index=1.2;mp=1"},
		{"user-busy", "<sip:1003@10.0.0.5:5060;cause=486>;index=1.2;mp=1"},
		{"no-answer", "<sip:1003@10.0.0.5:5060;cause=408>;index=1.2;mp=1"},
		{"unavailable", "<sip:1003@10.0.0.5:5060;cause=503>;index=1.2;mp=1"},
		{"deflection", "<sip:1003@10.0.0.5:5060;cause=480>;index=1.2;mp=1"},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			hs := withDivertCause(historyHeaders(in, target, 2), causeOfReason(tc.reason))
			if len(hs) != 2 {
				t.Fatalf("headers %v, want the dialled entry and the fork's", hs)
			}
			if got := hs[0].Value(); got != "<sip:1002@pbx.example>;index=1" {
				t.Errorf("first entry %q changed", got)
			}
			if got := hs[1].Value(); got != tc.want {
				t.Errorf("fork's entry %q, want %q", got, tc.want)
			}
		})
	}
	if hs := withDivertCause(nil, 486); hs != nil {
		t.Errorf("no History-Info: got %v", hs)
	}
}
