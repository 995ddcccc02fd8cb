// Package testua is the one SIP user agent the tests use to talk to a PBX
// on the wire: it sends exactly what a test asks, when it asks, and records
// everything that arrives. Messages are built and parsed with sipgo
// (github.com/emiago/sipgo/sip); raw bytes are sent only when a test gives
// them (fixtures, malformed input). It is a normal package (it does not
// import testing), so features/steps can use it in the binary.
//
// # Opening
//
// New(Config{Transport: "udp" or "tcp", PBX: addr}, options...) binds a
// socket on the address that routes to the PBX (or LocalIP) and reads in
// one goroutine; over TCP it dials the PBX once and frames the stream with
// sipgo's stream parser. Options inject a net.PacketConn or net.Conn (an
// in-memory network: every timer is the time package's, so a
// testing/synctest bubble virtualises them), a pcapio capture, a logger,
// the timers T1/T2, UDP retransmission of the UA's own requests (off by
// default) and the Auto set. Close is idempotent and waits for every
// goroutine the UA started.
//
// # Sending
//
//   - SendRaw/SendRawTo: bytes, byte for byte.
//   - Send/SendTo: a *sip.Request or *sip.Response, once, no transaction.
//   - Start/StartRaw: a request as a client transaction (ClientTx): its
//     responses are collected (Next, Final, Responses, Provisional); an
//     INVITE's non-2xx final is ACKed in its transaction (AutoAckError);
//     Ack sends the ACK of a 2xx, Cancel a CANCEL; Dialog/DialogFor give
//     the dialog(s) a 1xx/2xx created. Do is Start then Final.
//   - Builders: NewRequest, NewInvite (with an SDP from Offer, any body, or
//     none for a late offer), NewRegister, Dialog.NewRequest (BYE,
//     re-INVITE, UPDATE, INFO with the dialog's CSeq, target and route set),
//     Dialog.NewAck, Incoming.NewResponse. Each returns a *sip.Request or
//     *sip.Response the test may change before sending; SetBody sets a body
//     and its Content-Type.
//   - Authorize/Credentials answer a 401/407 digest challenge; Register
//     does REGISTER with one challenge answered.
//
// # Receiving
//
// Every message read is a Record (arrival time, source, raw bytes, the
// parsed message or the parse error), kept in arrival order: nothing is
// lost if it arrives before the test waits for it. Await(ctx, matcher)
// returns the next matching record no wait has taken; Received(matcher)
// lists them all (e.g. a 200 and its retransmissions with their arrival
// times). Matchers: Method, Status, StatusRange, Provisional, Final,
// CSeqMethod, CSeq, CallID, Branch, ToTag, Peer, HasHeader, Of, Func,
// Unparsable, combined by And, Or, Not.
//
// Every request received except ACK is an Incoming (a server transaction;
// retransmissions and the CANCEL and ACKs of an INVITE attach to it).
// AwaitIncoming returns it after the UA's auto answers are sent; the test
// answers with NewResponse/Respond/Reply/Answer, or RespondUntilAck to
// retransmit a final response until its ACK; AwaitAck, Acks, AwaitCancel
// show what the PBX did; Dialog sends requests back (a BYE from the
// callee). What the UA answers by itself is the Auto set (DefaultAuto: 100
// and 180 to INVITE, 200/487 on CANCEL, 200 to BYE, OPTIONS and the rest),
// changed with WithAuto or SetAuto.
//
// Every wait takes a context and ends when the UA closes.
package testua
