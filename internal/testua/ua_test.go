package testua

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"pbxlab/internal/sdpneg"
)

func codes(rs []*sip.Response) []int {
	var out []int
	for _, r := range rs {
		out = append(out, r.StatusCode)
	}
	return out
}

// TestCallAnswerAckBye: alice calls bob with an SDP offer, bob's UA sends
// 100/180 by itself, the test answers 200 with an SDP answer and
// retransmits it until the ACK; alice ACKs and hangs up with BYE in the
// dialog (CSeq 2, To tag of the 200), which bob's UA answers by itself.
func TestCallAnswerAckBye(t *testing.T) {
	ctx := testCtx(t)
	alice, bob := udpPair(t, nil, nil)
	tx, err := alice.Start(alice.NewInvite("bob", alice.Offer()))
	if err != nil {
		t.Fatal(err)
	}
	inc, err := bob.AwaitIncoming(ctx, Method(sip.INVITE))
	if err != nil {
		t.Fatal(err)
	}
	if inc.Source() != alice.Local() || len(inc.Request().Body()) == 0 {
		t.Fatalf("INVITE from %s with %d bytes of SDP", inc.Source(), len(inc.Request().Body()))
	}
	ok, err := inc.Answer()
	if err != nil {
		t.Fatal(err)
	}
	acked := make(chan error, 1)
	go func() {
		_, err := inc.RespondUntilAck(ctx, ok)
		acked <- err
	}()
	res, err := tx.Final(ctx)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("final %v, %v", res, err)
	}
	if got := codes(tx.Provisional()); !slices.Equal(got, []int{100, 180}) {
		t.Errorf("provisional %v, want [100 180]", got)
	}
	if _, err := sdpneg.Parse(res.Body()); err != nil {
		t.Errorf("200 SDP: %v", err)
	}
	if _, err := tx.Ack(nil); err != nil {
		t.Fatal(err)
	}
	if err := <-acked; err != nil {
		t.Fatalf("bob saw no ACK: %v", err)
	}
	d := tx.Dialog()
	if target := d.RemoteTarget(); d.RemoteTag() != inc.Tag() || target.Port != int(bob.Local().Port()) {
		t.Errorf("dialog remote tag %q target %s; want %q at %s", d.RemoteTag(), target.String(), inc.Tag(), bob.Local())
	}
	bye, err := d.Bye(ctx)
	if err != nil || bye.StatusCode != 200 {
		t.Fatalf("BYE: %v, %v", bye, err)
	}
	got, err := bob.AwaitIncoming(ctx, Method(sip.BYE))
	if err != nil {
		t.Fatal(err)
	}
	if cs := got.Request().CSeq().SeqNo; cs != 2 {
		t.Errorf("BYE CSeq %d, want 2", cs)
	}
	if tag, _ := got.Request().To().Params.Get("tag"); tag != inc.Tag() {
		t.Errorf("BYE To tag %q, want %q", tag, inc.Tag())
	}
	if n := len(alice.Received(And(Responses(), CSeqMethod(sip.INVITE)))); n < 3 {
		t.Errorf("alice recorded %d responses to the INVITE", n)
	}
}

// TestCancel: alice cancels a ringing INVITE; bob's UA answers 200 to the
// CANCEL and 487 to the INVITE, alice's UA ACKs the 487 in the INVITE's
// transaction (same branch).
func TestCancel(t *testing.T) {
	ctx := testCtx(t)
	alice, bob := udpPair(t, nil, nil)
	tx, err := alice.Start(alice.NewInvite("bob", alice.Offer()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Await(ctx, And(Of(tx.Request()), Status(180))); err != nil {
		t.Fatal(err)
	}
	ctx2, err := tx.Cancel()
	if err != nil {
		t.Fatal(err)
	}
	if res, err := ctx2.Final(ctx); err != nil || res.StatusCode != 200 {
		t.Fatalf("CANCEL answered %v, %v", res, err)
	}
	if res, err := tx.Final(ctx); err != nil || res.StatusCode != 487 {
		t.Fatalf("INVITE answered %v, %v", res, err)
	}
	inv, err := bob.AwaitIncoming(ctx, Method(sip.INVITE))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inv.AwaitCancel(ctx); err != nil {
		t.Fatal(err)
	}
	ack, err := inv.AwaitAck(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if branchOf(ack.Msg) != branchOf(tx.Request()) {
		t.Errorf("ACK of 487 branch %q, want the INVITE's %q", branchOf(ack.Msg), branchOf(tx.Request()))
	}
	if got := codes(inv.Responses()); !slices.Equal(got, []int{100, 180, 487}) {
		t.Errorf("bob's responses %v", got)
	}
}

// TestRegisterDigest: bob plays a registrar answering 401 with an MD5
// challenge; Register answers it once, and the credentials verify.
func TestRegisterDigest(t *testing.T) {
	ctx := testCtx(t)
	alice, bob := udpPair(t, nil, []Option{WithAuto(DefaultAuto &^ AutoOther)})
	done := make(chan *sip.Response, 1)
	go func() {
		res, err := alice.Register(ctx, Registration{User: "1000", Password: "secret", Domain: "example.test", Expires: 60})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	first, err := bob.AwaitIncoming(ctx, Method(sip.REGISTER))
	if err != nil {
		t.Fatal(err)
	}
	chal := &digest.Challenge{Realm: "example.test", Nonce: "n1", Algorithm: "MD5", QOP: []string{"auth"}}
	res := first.NewResponse(401, "Unauthorized")
	res.AppendHeader(sip.NewHeader("WWW-Authenticate", chal.String()))
	if err := first.Respond(res); err != nil {
		t.Fatal(err)
	}
	second, err := bob.AwaitIncoming(ctx, Method(sip.REGISTER))
	if err != nil {
		t.Fatal(err)
	}
	req := second.Request()
	cred, err := digest.ParseCredentials(req.GetHeader("Authorization").Value())
	if err != nil {
		t.Fatal(err)
	}
	want, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: cred.URI, Username: "1000", Password: "secret", Cnonce: cred.Cnonce, Count: cred.Nc})
	if err != nil || want.Response != cred.Response || cred.URI != "sip:example.test" {
		t.Fatalf("credentials %+v do not verify (%v)", cred, err)
	}
	if req.CSeq().SeqNo != first.Request().CSeq().SeqNo+1 || branchOf(req) == branchOf(first.Request()) {
		t.Errorf("second REGISTER reuses CSeq %d or branch", req.CSeq().SeqNo)
	}
	if callIDOf(req) != callIDOf(first.Request()) || req.GetHeader("Expires").Value() != "60" {
		t.Errorf("second REGISTER: Call-ID or Expires changed")
	}
	if err := second.Reply(200, "OK"); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r == nil || r.StatusCode != 200 {
		t.Fatalf("Register returned %v", r)
	}
}

// TestLateOfferAndInDialogRequests: an INVITE without SDP gets an offer in
// the 200 (AutoAnswer), the ACK carries the answer; a re-INVITE without
// body, an INFO and an UPDATE follow with increasing CSeq; bob answers the
// INFO itself with AutoOther off.
func TestLateOfferAndInDialogRequests(t *testing.T) {
	ctx := testCtx(t)
	alice, bob := udpPair(t, nil, []Option{WithAuto(DefaultAuto | AutoAnswer)})
	tx, err := alice.Start(alice.NewInvite("bob", nil))
	if err != nil {
		t.Fatal(err)
	}
	ok, err := tx.Final(ctx)
	if err != nil || ok.StatusCode != 200 || len(ok.Body()) == 0 {
		t.Fatalf("late-offer INVITE: %v, %v", ok, err)
	}
	answer, err := alice.Answer(ok.Body())
	if err != nil {
		t.Fatal(err)
	}
	ack, err := tx.Ack(answer)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := bob.AwaitIncoming(ctx, Method(sip.INVITE))
	if err != nil {
		t.Fatal(err)
	}
	got, err := inv.AwaitAck(ctx)
	if err != nil || string(got.Request().Body()) != string(answer) || got.Request().CSeq().SeqNo != 1 {
		t.Fatalf("ACK at bob %v, %v; sent %v", got, err, ack)
	}
	d := tx.Dialog()
	re, err := d.Start(d.NewRequest(sip.INVITE))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := re.Final(ctx); err != nil || res.StatusCode != 200 || len(res.Body()) == 0 {
		t.Fatalf("re-INVITE without SDP: %v, %v", res, err)
	}
	if _, err := re.Ack(alice.Offer()); err != nil {
		t.Fatal(err)
	}
	bob.SetAuto(bob.Auto() &^ AutoOther)
	info := d.NewRequest(sip.INFO)
	SetBody(info, "application/dtmf-relay", []byte("Signal=5\r\nDuration=160\r\n"))
	itx, err := alice.Start(info)
	if err != nil {
		t.Fatal(err)
	}
	in, err := bob.AwaitIncoming(ctx, Method(sip.INFO))
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Reply(415, "Unsupported Media Type"); err != nil {
		t.Fatal(err)
	}
	if res, err := itx.Final(ctx); err != nil || res.StatusCode != 415 {
		t.Fatalf("INFO: %v, %v", res, err)
	}
	bob.SetAuto(bob.Auto() | AutoOther)
	up := d.NewRequest(sip.UPDATE)
	SetBody(up, "application/sdp", alice.Offer())
	res, err := alice.Do(ctx, up)
	if err != nil || res.StatusCode != 200 || len(res.Body()) == 0 {
		t.Fatalf("UPDATE: %v, %v", res, err)
	}
	// bob answers before it publishes what it received: wait for the record
	if err := bob.Until(ctx, func() bool { return len(bob.Received(Requests())) >= 6 }); err != nil {
		t.Fatalf("bob recorded %d requests: %v", len(bob.Received(Requests())), err)
	}
	var seqs []uint32
	for _, r := range bob.Received(Requests()) {
		seqs = append(seqs, r.Msg.CSeq().SeqNo)
	}
	if !slices.Equal(seqs, []uint32{1, 1, 2, 2, 3, 4}) {
		t.Errorf("CSeqs at bob %v, want INVITE 1, ACK 1, re-INVITE 2, ACK 2, INFO 3, UPDATE 4", seqs)
	}
}

// TestAutoOffLeavesRequestsToTheTest: with AutoBye off a BYE is recorded
// and not answered until the test does.
func TestAutoOffLeavesRequestsToTheTest(t *testing.T) {
	ctx := testCtx(t)
	alice, bob := udpPair(t, nil, []Option{WithAuto(0)})
	tx, err := alice.Start(alice.NewRequest(sip.BYE, "bob"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := bob.AwaitIncoming(ctx, Method(sip.BYE))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(in.Responses()); n != 0 || len(tx.Responses()) != 0 {
		t.Fatalf("BYE answered by itself (%d responses)", n)
	}
	if err := in.Reply(481, "Call/Transaction Does Not Exist"); err != nil {
		t.Fatal(err)
	}
	if res, err := tx.Final(ctx); err != nil || res.StatusCode != 481 {
		t.Fatalf("BYE: %v, %v", res, err)
	}
}

// TestUnparsableIsRecorded: garbage is recorded as unparsable, a request
// without Call-ID is recorded and not answered, and the UA still answers
// OPTIONS afterwards.
func TestUnparsableIsRecorded(t *testing.T) {
	ctx := testCtx(t)
	alice, bob := udpPair(t, nil, nil)
	if err := alice.SendRaw([]byte("\x00\x01 not sip at all\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	rec, err := bob.Await(ctx, Unparsable())
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(rec.Err, ErrUnparsable) || rec.Peer != alice.Local() || !strings.Contains(rec.String(), "unparsable") {
		t.Errorf("record %s (%v)", rec, rec.Err)
	}
	bad := alice.NewRequest(sip.OPTIONS, "bob")
	bad.RemoveHeader("Call-ID")
	if err := alice.Send(bad); err != nil {
		t.Fatal(err)
	}
	if rec, err = bob.Await(ctx, Method(sip.OPTIONS)); err != nil || !errors.Is(rec.Err, ErrIncomplete) {
		t.Fatalf("OPTIONS without Call-ID: %v, %v", rec, err)
	}
	res, err := alice.Do(ctx, alice.NewRequest(sip.OPTIONS, "bob"))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("OPTIONS: %v, %v", res, err)
	}
	if n := len(alice.Received(Responses())); n != 1 {
		t.Errorf("alice received %d responses, want only the one to the good OPTIONS", n)
	}
}

// TestCloseIsIdempotentAndEndsWaits: a wait ends with ErrClosed when the UA
// closes; Close twice is fine; nothing is sent after Close.
func TestCloseIsIdempotentAndEndsWaits(t *testing.T) {
	ctx := testCtx(t)
	alice, _ := udpPair(t, nil, nil)
	errc := make(chan error, 1)
	go func() {
		_, err := alice.Await(ctx, Method(sip.MESSAGE))
		errc <- err
	}()
	if err := alice.Close(); err != nil {
		t.Fatal(err)
	}
	if err := alice.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("Await after Close: %v", err)
	}
	if err := alice.Send(alice.NewRequest(sip.OPTIONS, "bob")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close: %v", err)
	}
	if _, err := alice.Start(alice.NewRequest(sip.OPTIONS, "bob")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Start after Close: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := alice.AwaitIncoming(cctx, nil); err == nil {
		t.Fatal("AwaitIncoming on a closed UA returned nothing and no error")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, c := range []Config{{}, {PBX: loopback5060, Transport: "sctp"}} {
		if _, err := New(c); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", c, err)
		}
	}
	if _, err := New(Config{PBX: loopback5060}, WithTimers(0, 0)); !errors.Is(err, ErrConfig) {
		t.Errorf("zero T1 accepted: %v", err)
	}
	if _, err := New(Config{PBX: loopback5060, Transport: "tcp"}, WithPacketConn(newMemNet().listen("10.0.0.1:1"))); !errors.Is(err, ErrConfig) {
		t.Errorf("PacketConn for TCP accepted: %v", err)
	}
}

// TestIPv6: URIs, Via and Contact put an IPv6 address in brackets, and a
// call and an OPTIONS work over [::1].
func TestIPv6(t *testing.T) {
	ctx := testCtx(t)
	ca, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	cb, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		_ = ca.Close()
		t.Skipf("no IPv6 loopback: %v", err)
	}
	alice, bob := pairOn(t, ca, cb, nil, []Option{WithAuto(DefaultAuto | AutoAnswer)})
	req := alice.NewInvite("bob", alice.Offer())
	if s := req.String(); !strings.Contains(s, "INVITE sip:bob@"+bob.Local().String()+" SIP/2.0") ||
		!strings.Contains(s, "Via: SIP/2.0/UDP "+alice.Local().String()+";") || !strings.Contains(s, "<sip:alice@"+alice.Local().String()+">") {
		t.Fatalf("IPv6 request:\n%s", s)
	}
	tx, err := alice.Start(req)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := tx.Final(ctx); err != nil || res.StatusCode != 200 {
		t.Fatalf("INVITE over IPv6: %v, %v", res, err)
	}
	if _, err := tx.Ack(nil); err != nil {
		t.Fatal(err)
	}
	if res, err := tx.Dialog().Bye(ctx); err != nil || res.StatusCode != 200 {
		t.Fatalf("BYE over IPv6: %v, %v", res, err)
	}
}
