package call

import "github.com/emiago/sipgo/sip"

// What crosses the B2BUA besides status line and SDP. A B2BUA builds every
// message of a leg itself (its own Via, tags, Call-ID, CSeq and Contact);
// these are the headers of one leg's message that the PBX copies onto the
// message it sends on the other leg, because the far party needs them to
// act on the answer. Anything not listed stays on its leg.
//
// Final responses (relayed to the caller, and to the sender of a relayed
// in-dialog request):
//
//	header              on                         why
//	Reason              every final response       the Q.850/SIP cause (RFC 3326)
//	Warning             every final response       human-readable detail (RFC 3261 §20.43)
//	Retry-After         404 413 480 486 500 503 600 603   when to try again (§20.33)
//	Contact             3xx, 485                   where to go instead (§21.3, §21.4.24)
//	WWW-Authenticate    401                        the callee's challenge: the caller sees why
//	Proxy-Authenticate  407                          (the PBX never forwards credentials;
//	                                                 a trunk's are configured per peer)
//	Allow               405                        what the far end accepts
//	Accept, Accept-Encoding, Accept-Language  415  what body it accepts (§21.4.13)
//	Unsupported         420                        the extension it lacks (§20.40)
//	Require             421                        the extension it needs (RFC 3261 §21.4.15)
//	Min-SE              422                        the session-timer minimum (RFC 4028)
//	Error-Info          every final response       pointer to an error page or prompt
//
// INVITE: Diversion and History-Info (history.go).
//
// Requests: BYE and CANCEL carry the Reason headers of the BYE or CANCEL
// that caused them (RFC 3326); INFO carries Content-Disposition,
// Info-Package and Recv-Info (RFC 6086) with its body.
var relayedByStatus = []struct {
	header string
	codes  func(int) bool
}{
	{"Reason", isFinal},
	{"Warning", isFinal},
	{"Error-Info", isFinal},
	{"Retry-After", func(c int) bool {
		switch c {
		case 404, 413, 480, 486, 500, 503, 600, 603:
			return true
		}
		return false
	}},
	{"Contact", func(c int) bool { return (c >= 300 && c < 400) || c == 485 }},
	{"WWW-Authenticate", is(401)},
	{"Proxy-Authenticate", is(407)},
	{"Allow", is(405)},
	{"Accept", is(415)},
	{"Accept-Encoding", is(415)},
	{"Accept-Language", is(415)},
	{"Unsupported", is(420)},
	{"Require", is(421)},
	{"Min-SE", is(422)},
}

// relayedInRequest are copied from an in-dialog request to the request the
// PBX sends on the other leg because of it.
var relayedInRequest = map[sip.RequestMethod][]string{
	sip.BYE:  {"Reason"},
	sip.INFO: {"Content-Disposition", "Info-Package", "Recv-Info"},
}

func isFinal(c int) bool { return c >= 200 }

func is(code int) func(int) bool { return func(c int) bool { return c == code } }

// copyRelayed copies from a response received on one leg the headers of
// the list above onto the response sent on the other leg.
func copyRelayed(from, to *sip.Response) {
	for _, r := range relayedByStatus {
		if !r.codes(from.StatusCode) {
			continue
		}
		for _, h := range from.GetHeaders(r.header) {
			to.AppendHeader(sip.HeaderClone(h))
		}
	}
}

// copyRequestHeaders copies the relayed headers of an in-dialog request.
func copyRequestHeaders(from, to *sip.Request) {
	for _, name := range relayedInRequest[from.Method] {
		for _, h := range from.GetHeaders(name) {
			to.AppendHeader(sip.HeaderClone(h))
		}
	}
}
