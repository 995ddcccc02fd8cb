// Package conformance sends the SIP torture messages of RFC 4475 and
// RFC 5118 to a SIP element over UDP and TCP and classifies what comes back
// against an expectation table that states, for every message, the answer
// the element gives, and why. Two tables are kept apart: RFCAnswers, the
// answer the RFCs give to an endpoint/registrar with digest authentication
// (the reference, implementation-independent), and Expectations, what
// pbxlab is observed to answer (the test's verdict). Where pbxlab's answer
// is not among the RFC's, its row says why (Expectation.Deviation); the
// report shows both columns.
//
// Load reads a corpus directory (the .dat files of RFC 4475 or the wire/*.sip
// files of RFC 5118, with the optional EXPECTED.tsv and SIPGO-PARSE.txt that
// describe them); Run sends every message over every transport of a Target,
// one socket or connection per message, and returns a Report.
//
// # What is rewritten, and why
//
// A torture message is sent byte for byte except for its top Via: its
// sent-protocol transport and its sent-by are replaced by the transport and
// the local address of the socket that carries it (RewriteTopVia). That is
// what a real client would have written, and it is needed twice over:
//
//   - the messages name hosts such as 192.0.2.2 or example.com in their Via,
//     and a server sends a UDP response to the Via's sent-by port at the
//     packet's source address (RFC 3261 §18.2.2, RFC 3263 §5; with rport, to
//     the source port, RFC 3581 §4), so without the rewrite the answers go to
//     port 5060 of the test host or nowhere;
//   - the corpora reuse transaction identifiers (RFC 5118's REGISTERs share
//     branch z9hG4bKas3-111 and the same sent-by; every message is also sent
//     over both transports), and a server matches a request to an existing
//     transaction by branch, sent-by and method (RFC 3261 §17.2.3): a unique
//     sent-by per message keeps each message its own transaction while the
//     branch, including badbranch.dat's empty one, is kept as it is.
//
// Responses (RFC 4475's unreason, noreason, bcast, scalarlg, bigcode) and
// messages without a recognisable Via are sent unchanged. Every Result
// records the rewrite that was made.
//
// Over UDP a message is one datagram (dblreq.dat's trailing octets included,
// RFC 4475 §3.1.1.8). Over TCP it is written on a fresh connection, so a
// framing error closes only that connection; whatever follows the first
// message in the stream (dblreq.dat's INVITE) is processed as the next
// message on that connection.
//
// A final non-2xx response to an INVITE is acknowledged (RFC 3261
// §17.1.1.3) so that the server stops retransmitting it; a 2xx is
// acknowledged and the call is hung up (best effort).
//
// The package does not import testing: tests and tools call Load and Run
// and assert on the Report.
package conformance
