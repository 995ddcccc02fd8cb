package testua

import (
	"bytes"
	"net"
	"slices"
	"testing"

	"github.com/emiago/sipgo/sip"
)

const (
	wireOptions = "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n" +
		"Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKa1;rport\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:alice@127.0.0.1>;tag=a1\r\n" +
		"To: <sip:bob@127.0.0.1>\r\n" +
		"Call-ID: c1\r\n" +
		"CSeq: 1 OPTIONS\r\n" +
		"Content-Length: 0\r\n\r\n"
	wireInfo = "INFO sip:bob@127.0.0.1 SIP/2.0\r\n" +
		"Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKa2;rport\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:alice@127.0.0.1>;tag=a1\r\n" +
		"To: <sip:bob@127.0.0.1>;tag=b1\r\n" +
		"Call-ID: c1\r\n" +
		"CSeq: 2 INFO\r\n" +
		"Content-Type: text/plain\r\n" +
		"Content-Length: 5\r\n\r\nhello"
)

type framed struct {
	raw string
	ok  bool
}

func frame(chunks ...[]byte) []framed {
	f := newFramer()
	defer f.close()
	var out []framed
	for _, c := range chunks {
		f.feed(c, func(raw []byte, m sip.Message, err error) {
			out = append(out, framed{string(raw), err == nil && m != nil})
		})
	}
	return out
}

// TestFramer: sipgo's stream parser cuts messages at any split, keeps each
// message's bytes, skips CRLF keep-alives, and recovers after garbage.
func TestFramer(t *testing.T) {
	stream := []byte("\r\n\r\n" + wireOptions + wireInfo)
	want := []framed{{wireOptions, true}, {wireInfo, true}}
	for cut := 0; cut <= len(stream); cut++ {
		if got := frame(stream[:cut], stream[cut:]); !slices.Equal(got, want) {
			t.Fatalf("split at %d: got %+v", cut, got)
		}
	}
	var bytewise [][]byte
	for i := range stream {
		bytewise = append(bytewise, stream[i:i+1])
	}
	if got := frame(bytewise...); !slices.Equal(got, want) {
		t.Fatalf("byte by byte: %+v", got)
	}
	got := frame([]byte("GARBAGE\r\nX\r\n\r\n"), []byte(wireOptions))
	if len(got) != 2 || got[0].ok || got[1] != (framed{wireOptions, true}) {
		t.Fatalf("after garbage: %+v", got)
	}
}

// TestTCP: alice dials, bob is made from the accepted connection; a call
// with answer, ACK and BYE goes over the one connection, and split writes
// and keep-alives are framed.
func TestTCP(t *testing.T) {
	ctx := testCtx(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	alice, err := New(Config{Transport: "tcp", PBX: addrPort(l.Addr()), User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	bob, err := New(Config{Transport: "tcp", PBX: addrPort(c.RemoteAddr()), User: "bob"}, WithConn(c), WithAuto(DefaultAuto|AutoAnswer))
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	if bob.Local() != addrPort(l.Addr()) || alice.Transport() != "tcp" {
		t.Fatalf("bob at %s, listener at %s", bob.Local(), l.Addr())
	}

	tx, err := alice.Start(alice.NewInvite("bob", alice.Offer()))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := tx.Final(ctx); err != nil || res.StatusCode != 200 {
		t.Fatalf("INVITE: %v, %v", res, err)
	}
	if via := tx.Request().Via(); via.Transport != "TCP" {
		t.Errorf("Via transport %s", via.Transport)
	}
	if c := tx.Request().Contact(); !c.Address.UriParams.Has("transport") {
		t.Errorf("Contact %s without transport=tcp", c.Value())
	}
	if _, err := tx.Ack(nil); err != nil {
		t.Fatal(err)
	}
	inv, err := bob.AwaitIncoming(ctx, Method(sip.INVITE))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inv.AwaitAck(ctx); err != nil {
		t.Fatal(err)
	}
	// one INFO written in two pieces after a keep-alive, then a BYE
	info := tx.Dialog().NewRequest(sip.INFO)
	SetBody(info, "text/plain", []byte("hello"))
	wire := []byte("\r\n\r\n" + info.String())
	if err := alice.SendRaw(wire[:40]); err != nil {
		t.Fatal(err)
	}
	if err := alice.SendRaw(wire[40:]); err != nil {
		t.Fatal(err)
	}
	in, err := bob.AwaitIncoming(ctx, Method(sip.INFO))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(in.Record().Raw, []byte(info.String())) || string(in.Request().Body()) != "hello" {
		t.Errorf("INFO framed as %q", in.Record().Raw)
	}
	if res, err := tx.Dialog().Bye(ctx); err != nil || res.StatusCode != 200 {
		t.Fatalf("BYE: %v, %v", res, err)
	}
	if n := len(bob.Received(Unparsable())); n != 0 {
		t.Errorf("%d unparsable records", n)
	}
}
