package testua_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
)

// Two UAs, each the other's "PBX", place a call: the caller sends an
// INVITE with an SDP offer, the callee's UA answers 100 and 180 by itself
// (DefaultAuto), the test answers 200 with SDP and retransmits it until the
// ACK, then the caller hangs up in the dialog. Against a PBX, Config.PBX is
// its address and the Incoming comes from the PBX.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pcA, _ := net.ListenPacket("udp", "127.0.0.1:0")
	pcB, _ := net.ListenPacket("udp", "127.0.0.1:0")
	addr := func(pc net.PacketConn) netip.AddrPort { return pc.LocalAddr().(*net.UDPAddr).AddrPort() }
	caller, err := testua.New(testua.Config{PBX: addr(pcB), User: "1000"}, testua.WithPacketConn(pcA))
	if err != nil {
		panic(err)
	}
	defer caller.Close()
	callee, err := testua.New(testua.Config{PBX: addr(pcA), User: "1001"}, testua.WithPacketConn(pcB))
	if err != nil {
		panic(err)
	}
	defer callee.Close()

	tx, _ := caller.Start(caller.NewInvite("1001", caller.Offer()))
	inc, _ := callee.AwaitIncoming(ctx, testua.Method(sip.INVITE))
	ok, _ := inc.Answer() // 200 with the SDP answer; change it at will before sending
	acked := make(chan *testua.Record, 1)
	go func() {
		ack, _ := inc.RespondUntilAck(ctx, ok)
		acked <- ack
	}()
	res, _ := tx.Final(ctx)
	for _, p := range tx.Provisional() {
		fmt.Println("caller got", p.StatusCode, p.Reason)
	}
	fmt.Println("caller got", res.StatusCode, res.Reason)
	_, _ = tx.Ack(nil)
	ack := <-acked
	fmt.Println("callee got", ack.Request().Method, ack.Request().CSeq().SeqNo)
	bye, _ := tx.Dialog().Bye(ctx)
	fmt.Println("BYE answered", bye.StatusCode)
	// Output:
	// caller got 100 Trying
	// caller got 180 Ringing
	// caller got 200 OK
	// callee got ACK 1
	// BYE answered 200
}
