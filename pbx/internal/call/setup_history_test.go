package call_test

import (
	"strings"
	"testing"
	"testing/synctest"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
)

// TestSetupRetargetHistory: the callee's INVITE carries the caller's
// Diversion unchanged, and History-Info when the caller uses it (RFC 7044):
// the caller's entries, then the contact the PBX sent to as a child of
// the last one, tagged rc; a caller that only says Supported: histinfo
// gets an entry for its Request-URI first; a caller that does neither
// gets no History-Info.
func TestSetupRetargetHistory(t *testing.T) {
	for _, tc := range []struct {
		name    string
		headers map[string]string
		want    []string // History-Info values of the callee's INVITE, prefixes
	}{
		{"history from the caller", map[string]string{
			"History-Info": `<sip:5551234@carrier.example.com>;index=1, <sip:1001@pbx.example.com>;index=1.1;mp=1`,
			"Diversion":    `<sip:5551234@carrier.example.com>;reason=unconditional;counter=1`,
		}, []string{"<sip:5551234@carrier.example.com>;index=1", "<sip:1001@pbx.example.com>;index=1.1;mp=1", "<sip:1001@"}},
		{"supported only", map[string]string{"Supported": "timer, histinfo"}, []string{"<sip:1001@", "<sip:1001@"}},
		{"neither", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newSetupRig(t, trustedCallers())
				a, b := r.ua("1000"), r.callee("1001")
				tx := r.invite(a, "1001", a.Offer(), func(req *sip.Request) {
					for k, v := range tc.headers {
						req.AppendHeader(sip.NewHeader(k, v))
					}
				})
				in := r.incoming(b, testua.Method(sip.INVITE))
				got := headerValues(in.Request(), "History-Info")
				if len(got) != len(tc.want) {
					t.Fatalf("History-Info %q, want %d entries like %q", got, len(tc.want), tc.want)
				}
				for i, w := range tc.want {
					if !strings.HasPrefix(got[i], w) {
						t.Errorf("History-Info[%d] = %q, want %q...", i, got[i], w)
					}
				}
				if n := len(got); n > 0 {
					last := got[n-1]
					wantTail := ";index=1.1.1;rc=1.1"
					if n == 2 {
						wantTail = ";index=1.1;rc=1"
					}
					if !strings.HasSuffix(last, wantTail) {
						t.Errorf("the PBX's entry %q, want it to end %q (child of the last entry, registered contact)", last, wantTail)
					}
				}
				if d := headerValues(in.Request(), "Diversion"); tc.headers["Diversion"] != "" && (len(d) != 1 || d[0] != tc.headers["Diversion"]) {
					t.Errorf("Diversion %q, want the caller's %q", d, tc.headers["Diversion"])
				}
				if _, err := tx.Cancel(); err != nil {
					t.Fatal(err)
				}
				r.final(tx)
			})
		})
	}
}

// TestSetup181Relayed: a callee's 181 Call Is Being Forwarded (a phone
// forwarding on its own) reaches the caller as 181, not as 180.
func TestSetup181Relayed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSetupRig(t, trustedCallers())
		a, b := r.ua("1000"), r.silentCallee("1001")
		tx := r.invite(a, "1001", a.Offer(), nil)
		in := r.incoming(b, testua.Method(sip.INVITE))
		r.respond(in, in.NewResponse(181, "Call Is Being Forwarded"))
		r.await(a, testua.And(testua.Of(tx.Request()), testua.Status(181)), "the 181 at the caller")
		if _, err := tx.Cancel(); err != nil {
			t.Fatal(err)
		}
		r.final(tx)
	})
}
