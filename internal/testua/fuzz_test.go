package testua

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

const (
	wireInvite = "INVITE sip:bob@10.0.0.1:5060 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKpbx1\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:alice@10.0.0.2>;tag=a1\r\n" +
		"To: <sip:bob@10.0.0.2>\r\n" +
		"Call-ID: call-1\r\n" +
		"CSeq: 1 INVITE\r\n" +
		"Contact: <sip:pbx@10.0.0.2:5060>\r\n" +
		"Content-Length: 0\r\n\r\n"
	wireCancel = "CANCEL sip:bob@10.0.0.1:5060 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKpbx1\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:alice@10.0.0.2>;tag=a1\r\n" +
		"To: <sip:bob@10.0.0.2>\r\n" +
		"Call-ID: call-1\r\n" +
		"CSeq: 1 CANCEL\r\n" +
		"Content-Length: 0\r\n\r\n"
	wireAck = "ACK sip:bob@10.0.0.1:5060 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKpbx1\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:alice@10.0.0.2>;tag=a1\r\n" +
		"To: <sip:bob@10.0.0.2>;tag=x\r\n" +
		"Call-ID: call-1\r\n" +
		"CSeq: 1 ACK\r\n" +
		"Content-Length: 0\r\n\r\n"
	wire200 = "SIP/2.0 200 OK\r\n" +
		"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKua1\r\n" +
		"From: <sip:bob@10.0.0.2>;tag=b1\r\n" +
		"To: <sip:alice@10.0.0.2>;tag=a9\r\n" +
		"Call-ID: call-2\r\n" +
		"CSeq: 1 INVITE\r\n" +
		"Contact: <sip:alice@10.0.0.2:5060>\r\n" +
		"Content-Length: 0\r\n\r\n"
	// probe is answered 200 by DefaultAuto whatever came before it.
	probe = "OPTIONS sip:bob@10.0.0.1:5060 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKprobe\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:probe@10.0.0.2>;tag=p\r\n" +
		"To: <sip:bob@10.0.0.2>\r\n" +
		"Call-ID: probe-call-id-not-in-the-corpus\r\n" +
		"CSeq: 1 OPTIONS\r\n" +
		"Content-Length: 0\r\n\r\n"
)

func ptr[T any](v T) *T { return &v }

// FuzzDispatch feeds arbitrary bytes to the receive path, as a datagram and
// as a TCP stream: it must never panic, record every message as parsed or
// ErrUnparsable, send only SIP/2.0 responses, and still answer a
// well-formed OPTIONS afterwards.
func FuzzDispatch(f *testing.F) {
	for _, s := range []string{wireInvite, wireCancel, wireAck, wire200, wireInvite + wireCancel, wireOptions, wireInfo,
		"\r\n\r\n", "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\n\r\n", "OPTIONS sip:x SIP/2.0\r\n\r\n"} {
		f.Add([]byte(s))
	}
	from := netip.MustParseAddrPort("10.0.0.2:5060")
	f.Fuzz(func(t *testing.T, data []byte) {
		n := newMemNet()
		u, err := New(Config{PBX: from}, WithPacketConn(n.listen("10.0.0.1:5060")))
		if err != nil {
			t.Fatal(err)
		}
		defer u.Close()
		// an INVITE transaction and a 2xx ACK the seeds' responses match
		inv := u.NewInvite("bob", nil)
		inv.Via().Params.Add("branch", "z9hG4bKua1")
		inv.ReplaceHeader(ptr(sip.CallIDHeader("call-2")))
		tx, err := u.Start(inv)
		if err != nil {
			t.Fatal(err)
		}
		ack := sip.NewRequest(sip.ACK, inv.Recipient)
		for _, h := range []sip.Header{inv.Via(), inv.From(), inv.CallID(), &sip.CSeqHeader{SeqNo: 1, MethodName: sip.ACK}} {
			ack.AppendHeader(h)
		}
		ack.AppendHeader(&sip.ToHeader{Address: inv.To().Address, Params: sip.HeaderParams{{K: "tag", V: "a9"}}})
		if err := u.Send(ack); err != nil {
			t.Fatal(err)
		}
		u.receive(append([]byte(nil), data...), from)
		fr := newFramer()
		fr.feed(data, func(raw []byte, m sip.Message, err error) { u.record(raw, m, err, from) })
		fr.close()
		if d := tx.Dialog(); d != nil {
			_ = d.NewRequest(sip.BYE).String()
			_, _ = tx.Ack([]byte("v=0\r\n"))
		}
		for _, r := range tx.Responses() {
			if d := tx.DialogFor(r.Response()); d != nil {
				_ = d.NewAck(1, nil).String()
			}
		}
		before := len(u.Sent(nil))
		u.receive([]byte(probe), from)
		sent := u.Sent(nil)[before:]
		if len(sent) != 1 || sent[0].Response() == nil || sent[0].Response().StatusCode != 200 {
			t.Fatalf("probe OPTIONS answered %v", sent)
		}
		for _, r := range u.Received(nil) {
			if (r.Msg == nil) != (r.Err != nil && errors.Is(r.Err, ErrUnparsable)) {
				t.Fatalf("record %s: message %v, error %v", r, r.Msg != nil, r.Err)
			}
		}
		// What the UA sends echoes the request's headers (RFC 3261 §8.2.6),
		// and sipgo parses some headers leniently that it then refuses to
		// parse back (a To <sip:*>): only the shape of the answers is checked.
		for _, r := range u.Sent(Not(Requests())) {
			if !strings.HasPrefix(string(r.Raw), "SIP/2.0 ") {
				t.Fatalf("sent %q in answer to a request", r.Raw)
			}
		}
	})
}
