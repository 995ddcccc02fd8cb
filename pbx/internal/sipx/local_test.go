package sipx

import (
	"net/netip"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// TestLocalAdvertisesAddrSendsFromBind: Via and Contact carry the
// advertised Addr; a UDP request is sent from Bind, the listening socket
// sipgo knows by its own address (0.0.0.0:5060), or from Addr without one.
func TestLocalAdvertisesAddrSendsFromBind(t *testing.T) {
	for _, tc := range []struct {
		name  string
		local Local
		laddr string // "" = none set (TCP)
	}{
		{"udp with bind", Local{Transport: "udp", Addr: netip.MustParseAddrPort("203.0.113.5:5070"), Bind: netip.MustParseAddrPort("0.0.0.0:5060")}, "0.0.0.0:5060"},
		{"udp6 with bind", Local{Transport: "udp", Addr: netip.MustParseAddrPort("[2001:db8::5]:5060"), Bind: netip.MustParseAddrPort("[::]:5060")}, "[::]:5060"},
		{"udp without bind", Local{Transport: "udp", Addr: netip.MustParseAddrPort("127.0.0.1:5060")}, "127.0.0.1:5060"},
		{"tcp", Local{Transport: "tcp", Addr: netip.MustParseAddrPort("203.0.113.5:5060"), Bind: netip.MustParseAddrPort("0.0.0.0:5060")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			via := tc.local.Via("z9hG4bKtest")
			if via.Host != tc.local.Addr.Addr().String() || via.Port != int(tc.local.Addr.Port()) {
				t.Errorf("Via sent-by %s:%d, want %s", via.Host, via.Port, tc.local.Addr)
			}
			if c := tc.local.ContactURI("1000"); c.Host != tc.local.Addr.Addr().String() || c.Port != int(tc.local.Addr.Port()) {
				t.Errorf("Contact %s, want host %s", c.String(), tc.local.Addr)
			}
			req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "2000", Host: "192.0.2.9", Port: 5060})
			tc.local.Prepare(req, "192.0.2.9:5060")
			got := ""
			if req.Laddr.IP != nil {
				got = req.Laddr.String()
			}
			if got != tc.laddr || req.Destination() != "192.0.2.9:5060" {
				t.Errorf("sent from %q to %s, want from %q", got, req.Destination(), tc.laddr)
			}
		})
	}
}
