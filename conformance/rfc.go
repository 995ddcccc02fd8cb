package conformance

// RFCAnswers returns, keyed by message name, the answer RFC 4475 and
// RFC 5118 ask for each torture message from the kind of element this
// package tests: a SIP endpoint (B2BUA) and registrar that authenticates
// REGISTER and INVITE with digest. Where RFC 4475 only says how to parse a
// message ("accept", "reject"), the answer is what RFC 3261 then gives for
// its method at such an element: a valid unauthenticated REGISTER is
// challenged (401, §10.3 step 4, §22.2), a valid unauthenticated INVITE too
// (407 as a proxy-like B2BUA, §22.3, or 401 as a UAS, §22.2), a valid
// OPTIONS is answered 200 (§11.2; 407 where OPTIONS are authenticated too),
// a request with a To tag matching no dialog gets 481 (§12.2.2). Where the
// RFC allows several answers (a strict and a liberal element, a preferred
// and an acceptable code), Codes lists them all.
//
// It does not depend on any implementation: it is the reference column of
// the report (Result.RFC) against which a target's own table
// (Expectations for pbxlab) is compared; a target answer the RFC does not
// give must carry an Expectation.Deviation saying why. No row is AnyFinal:
// every row names its answer. The returned map is new on every call.
func RFCAnswers() map[string]Expectation {
	const (
		regChallenge    = "a valid REGISTER from an unauthenticated client is challenged: 401 (RFC 3261 §10.3 step 4, §22.2)"
		inviteChallenge = "a valid INVITE from an unauthenticated client is challenged: 407 (RFC 3261 §22.3) or, from an element acting as a UAS, 401 (§22.2)"
		optionsOK       = "a valid OPTIONS is answered 200 by an endpoint (RFC 3261 §11.2), or 407 by one that authenticates OPTIONS too"
	)
	reg := func(why string) Expectation { return status(why+"; "+regChallenge, []string{"WWW-Authenticate"}, 401) }
	invite := func(why string) Expectation { return status(why+"; "+inviteChallenge, nil, 407, 401) }
	options := func(why string) Expectation { return status(why+"; "+optionsOK, nil, 200, 407) }
	t := map[string]Expectation{
		// RFC 4475 §3.1.1: valid messages, to be accepted.
		"wsinv":      status("§3.1.1.1 valid (line folding, LWS around ':' and '=', compact forms, leading zeros): accept; the To tag names no dialog, so 481 (RFC 3261 §12.2.2), or 407 from an element that authenticates first", nil, 481, 407),
		"intmeth":    status("§3.1.1.2 valid; an unknown extension method (IN%56ITE is not INVITE): an endpoint answers 501 with Allow (RFC 3261 §8.2.1)", []string{"Allow"}, 501),
		"esc01":      invite("§3.1.1.3 valid use of %-escapes: accept"),
		"escnull":    reg("§3.1.1.4 escaped nulls in URIs: valid, accept"),
		"esc02":      status("§3.1.1.5 valid; RE%47IST%45R is an unknown method, not REGISTER: 501 with Allow (RFC 3261 §8.2.1)", []string{"Allow"}, 501),
		"lwsdisp":    options("§3.1.1.6 no LWS between display name and '<': a known grammar bug, elements should accept it"),
		"longreq":    invite("§3.1.1.7 long header values: valid, accept"),
		"dblreq":     reg("§3.1.1.8 one REGISTER followed by extra octets in the datagram: handle the REGISTER, ignore the octets (RFC 3261 §18.3)"),
		"semiuri":    options("§3.1.1.9 ';' in the Request-URI's user part: valid, accept"),
		"transports": options("§3.1.1.10 unknown transports in lower Via values: valid, accept"),
		"mpart01":    status("§3.1.1.11 multipart body: valid, accept; the method is MESSAGE, which an element that does not implement it answers 405 with Allow if it knows the method, else 501 (RFC 3261 §8.2.1)", []string{"Allow"}, 405, 501),
		"unreason":   drop("§3.1.1.12 a 200 with a UTF-8 reason phrase: valid; it matches no client transaction, so it is discarded (RFC 3261 §18.1.2)"),
		"noreason":   drop("§3.1.1.13 a 100 with an empty reason phrase: valid; it matches no client transaction, so it is discarded (RFC 3261 §18.1.2)"),

		// RFC 4475 §3.1.2: invalid messages.
		"badinv01":   status("§3.1.2.1 extraneous ';' and ',' in Via and Contact: invalid, respond 400 Bad Request", nil, 400),
		"clerr":      status("§3.1.2.2 Content-Length larger than the message: over UDP respond 400", nil, 400),
		"ncl":        status("§3.1.2.3 negative Content-Length: respond with an error (400) and discard the rest of the datagram; over TCP the framing is lost, close the connection", nil, 400),
		"scalar02":   status("§3.1.2.4 CSeq, Max-Forwards, Expires beyond their range: respond 400 (the CSeq is beyond repair)", nil, 400),
		"scalarlg":   drop("§3.1.2.5 a response with overlarge scalar values: discard it"),
		"quotbal":    status("§3.1.2.6 unterminated quoted string in a display name: respond 400 (an element may try to infer the closing quote and process it: then 407/401)", nil, 400, 407, 401),
		"ltgtruri":   status("§3.1.2.7 Request-URI in <>: reasonable to always reject with 400 (a liberal element may ignore the brackets: then 407/401)", nil, 400, 407, 401),
		"lwsruri":    status("§3.1.2.8 LWS inside the Request-URI: respond 400 (or ignore the LWS where unambiguous: then 407/401)", nil, 400, 407, 401),
		"lwsstart":   status("§3.1.2.9 several SP between the Request-Line's elements: acceptable to reject as malformed, 400 (a liberal element may ignore them: then 407/401)", nil, 400, 407, 401),
		"trws":       status("§3.1.2.10 SP after SIP/2.0 in the Request-Line: acceptable to reject as malformed, 400 (a liberal element may ignore them: then 200 to the OPTIONS)", nil, 400, 200, 407),
		"escruri":    status("§3.1.2.11 escaped headers in the Request-URI: acceptable to reject with 400; a liberal element ignores them and processes the INVITE (407/401)", nil, 400, 407, 401),
		"baddate":    status("§3.1.2.12 Date in EST: an element that does not use Date ignores it and processes the INVITE (407/401); only one that uses Date should reject it (400)", nil, 407, 401, 400),
		"regbadct":   status("§3.1.2.13 Contact with an escaped header but no <>: reasonable to respond 400; a liberal element may infer the brackets and process the REGISTER (401)", nil, 400, 401),
		"badaspec":   status("§3.1.2.14 spaces inside <addr-spec>: the parser must not break; reasonable to respond 400 (a liberal element may ignore the spaces: then 200 to the OPTIONS)", nil, 400, 200, 407),
		"baddn":      status("§3.1.2.15 unquoted display names with commas: reasonable to always reject with 400 (the archive copy also lacks the end of its header section)", nil, 400),
		"badvers":    status("§3.1.2.16 SIP/7.0: respond 505 Version Not Supported (RFC 3261 §21.5.7)", nil, 505),
		"mismatch01": status("§3.1.2.17 CSeq method differs from the Request-Line's: respond 400 (RFC 3261 §8.1.1.5)", nil, 400),
		"mismatch02": status("§3.1.2.18 unknown method with a mismatched CSeq: respond 501 (400 also acceptable; 501 preferred)", nil, 501, 400),
		"bigcode":    drop("§3.1.2.19 status code 4294967301: drop the response"),

		// RFC 4475 §3.2-3.4.
		"badbranch": status("§3.2.1 branch=z9hG4bK without an id: reject with 400 (preferably statelessly) or fall back to RFC 2543 transaction matching and process the OPTIONS (200, or 407)", nil, 400, 200, 407),
		"insuf":     status("§3.3.1 no Call-ID, From, To, Max-Forwards: respond 400", nil, 400),
		"unkscm":    status("§3.3.2 Request-URI with an unknown scheme: respond 416 Unsupported URI Scheme", nil, 416),
		"novelsc":   status("§3.3.3 Request-URI soap.beep: 416 from an element that never accepts that scheme (else 404)", nil, 416, 404),
		"unksm2":    status("§3.3.4 To isbn:, From http:: a registrar responds 400, its AOR must be a SIP or SIPS URI (RFC 3261 §10.3)", nil, 400),
		"bext01":    status("§3.3.5 Require with unknown options: respond 420 Bad Extension listing them in Unsupported (RFC 3261 §8.2.2.3)", []string{"Unsupported"}, 420),
		"invut":     status("§3.3.6 body of an unknown Content-Type at an endpoint: reject with 415 and an Accept header (RFC 3261 §8.2.3)", []string{"Accept"}, 415),
		"regaut01":  status("§3.3.7 Authorization with an unknown scheme at a registrar with authentication: 401 with a challenge it understands", []string{"WWW-Authenticate"}, 401),
		"multi01":   status("§3.3.8 several Call-ID, To, From, Max-Forwards, CSeq: respond 400", nil, 400),
		"mcl01":     status("§3.3.9 two different Content-Length values: over UDP an error response (400), discarding the rest of the datagram", nil, 400),
		"bcast":     drop("§3.3.10 a 200 with a broadcast Via: an endpoint discards it"),
		"zeromf":    status("§3.3.11 OPTIONS with Max-Forwards 0 at an endpoint: processed normally (a proxy would answer 483); "+optionsOK, nil, 200, 407),
		"cparam01":  reg("§3.3.12 Contact with a contact-param outside <>: valid, the REGISTER succeeds once authenticated"),
		"cparam02":  reg("§3.3.13 Contact with a url-parameter inside <>: valid, the REGISTER succeeds once authenticated"),
		"regescrt":  reg("§3.3.14 Contact URI with an escaped Route header: valid, the REGISTER succeeds once authenticated"),
		"sdp01":     status("§3.3.15 Accept lists no type the element supports: respond 406 Not Acceptable (400 also allowed, every UA supporting INVITE must support SDP)", nil, 406, 400),
		"inv2543":   invite("§3.4.1 RFC 2543 syntax (no branch, no From tag, no Content-Length, no Max-Forwards): should be accepted for backward compatibility (RFC 3261 §17.2.3 gives the RFC 2543 transaction matching)"),
		"test":      drop("not described by RFC 4475 (an extra file of its archive): no SIP-Version, a header without a colon, no Via, so no address to answer to (RFC 3261 §18.2.2); nothing normative"),

		// RFC 5118 (IPv6). Only ipv6-bad must be rejected.
		"ipv6-good":                     reg("RFC 5118 §4.1 IPv6 reference in the Request-URI: valid"),
		"ipv6-bad":                      status("RFC 5118 §4.2 IPv6 address without brackets in the Request-URI: invalid, respond 400", nil, 400),
		"port-ambiguous":                reg("RFC 5118 §4.3 [2001:db8::10:5070] is an IPv6 reference without a port: valid"),
		"port-unambiguous":              reg("RFC 5118 §4.4 [2001:db8::10]:5070: valid"),
		"via-received-param-with-delim": status("RFC 5118 §4.5 received=[IPv6] in Via: valid; a BYE whose To tag matches no dialog gets 481 (RFC 3261 §12.2.2)", nil, 481),
		"via-received-param-no-delim":   options("RFC 5118 §4.5 received=IPv6 without brackets in Via: valid"),
		"ipv6-in-sdp":                   invite("RFC 5118 §4.6 IPv6 in SDP: valid"),
		"mult-ip-in-header":             status("RFC 5118 §4.7 IPv4 and IPv6 Via values: valid; a BYE whose To tag matches no dialog gets 481 (RFC 3261 §12.2.2)", nil, 481),
		"mult-ip-in-sdp":                invite("RFC 5118 §4.8 IPv4 and IPv6 in SDP: valid"),
		"ipv4-mapped-ipv6":              invite("RFC 5118 §4.9 IPv4-mapped IPv6 addresses: valid"),
		"ipv6-correct-abnf-2-colons":    options("RFC 5118 §4.10 [2001:db8::192.0.2.1]: valid"),
		"ipv6-bug-abnf-3-colons":        status("RFC 5118 §4.10 [2001:db8:::192.0.2.1] follows a bug of the RFC 3261 ABNF: accepting it (200 to the OPTIONS, or 407) and rejecting it (400) are both allowed", nil, 200, 407, 400),
	}
	// Over TCP (RFC 3261 §18.3: Content-Length frames a stream message).
	tcp := func(name string, e Expectation) {
		m := t[name]
		m.TCP = &e
		t[name] = m
	}
	tcp("clerr", Expectation{Drop: true, Reason: "§3.1.2.2 over TCP: wait for the rest of the body and close the connection if none arrives in a reasonable time; no response"})
	tcp("ncl", Expectation{Drop: true, Reason: "§3.1.2.3 over TCP a negative Content-Length loses the framing: close the connection, no response"})
	tcp("mcl01", Expectation{Codes: codes(400), OrClose: true, Reason: "§3.3.9 over TCP conflicting Content-Length values are a framing error: 400, or close the connection"})
	tcp("dblreq", Expectation{Codes: codes(401), OrClose: true, Reason: "§3.1.1.8 is about a UDP datagram; over TCP the trailing octets are a second message whose body does not match its Content-Length: 401 to the REGISTER, and the server may close the connection at the framing error (RFC 3261 §18.3), possibly before the 401 is written"})
	tcp("inv2543", Expectation{Codes: codes(407, 401), OrClose: true, Reason: "§3.4.1 over TCP a missing Content-Length means no body (RFC 3261 §18.3, §20.14): the INVITE is challenged (407/401) and its SDP lines are garbage on the stream, after which the server may close the connection"})
	return t
}
