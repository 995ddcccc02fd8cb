package pbx_test

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx"
)

// TestByeRetransmissionAnsweredAlike: a BYE retransmitted over UDP after
// its 200 went out (RFC 3261 §17.2.2, the server transaction's Completed
// state) gets the very same 200 again although the PBX ended the sipgo
// transaction at once and answers it from sipx.Replay, and it is not
// processed twice: the callee gets one BYE, the call has one CDR. A BYE
// with a new branch is a new request with an answer of its own.
func TestByeRetransmissionAnsweredAlike(t *testing.T) {
	uas, uac, in, stop := trustedCallPBX(t, "")
	defer stop()
	var byes atomic.Int32
	go heldUAS(uas, func(r *sip.Request) {
		if r.Method == sip.BYE {
			byes.Add(1)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pbxAddr := net.UDPAddrFromAddrPort(in.UDP)
	me := uac.LocalAddr().String()
	send := func(to *net.UDPAddr, msg string) {
		t.Helper()
		if _, err := uac.WriteToUDP([]byte(msg), to); err != nil {
			t.Fatal(err)
		}
	}
	// final reads until a final response to method, its raw bytes and parse.
	final := func(method sip.RequestMethod) (string, *sip.Response) {
		t.Helper()
		buf := make([]byte, 65535)
		for {
			_ = uac.SetReadDeadline(time.Now().Add(10 * time.Second))
			n, err := uac.Read(buf)
			if err != nil {
				t.Fatalf("no final response to %s: %v", method, err)
			}
			m, err := sip.ParseMessage(buf[:n])
			if res, ok := m.(*sip.Response); err == nil && ok && res.StatusCode >= 200 && res.CSeq().MethodName == method {
				return string(buf[:n]), res
			}
		}
	}

	sdp := uacSDP
	send(pbxAddr, fmt.Sprintf("INVITE sip:2000@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-byeretrans-inv\r\n"+
		"From: <sip:uac@%s>;tag=uac-1\r\nTo: <sip:2000@%s>\r\nCall-ID: bye-retrans-1\r\nCSeq: 1 INVITE\r\n"+
		"Contact: <sip:uac@%s>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		in.UDP, me, me, in.UDP, me, len(sdp), sdp))
	_, ok := final(sip.INVITE)
	if ok.StatusCode != 200 {
		t.Fatalf("INVITE answered %d", ok.StatusCode)
	}
	target, err := net.ResolveUDPAddr("udp", ok.Contact().Address.HostPort())
	if err != nil {
		t.Fatal(err)
	}
	dialog := fmt.Sprintf("From: <sip:uac@%s>;tag=uac-1\r\n%s\r\nCall-ID: bye-retrans-1\r\n", me, ok.To().String())
	send(target, fmt.Sprintf("ACK sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-byeretrans-ack\r\n%sCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		target, me, dialog))
	bye := func(branch string, seq int) string {
		return fmt.Sprintf("BYE sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=%s\r\n%sCSeq: %d BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
			target, me, branch, dialog, seq)
	}

	send(target, bye("z9hG4bK-byeretrans-1", 2))
	first, res := final(sip.BYE)
	if res.StatusCode != 200 {
		t.Fatalf("BYE answered:\n%s", first)
	}
	waitCDRs(ctx, t, in, func(rs []pbx.CDR) bool { return len(rs) == 1 && !rs[0].End.IsZero() })
	for byes.Load() == 0 {
		if ctx.Err() != nil {
			t.Fatal("the callee never got a BYE")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i := range 2 {
		send(target, bye("z9hG4bK-byeretrans-1", 2))
		if again, _ := final(sip.BYE); again != first {
			t.Fatalf("retransmission %d answered differently:\n%s\nfirst:\n%s", i+1, again, first)
		}
	}
	send(target, bye("z9hG4bK-byeretrans-2", 3))
	if other, res := final(sip.BYE); other == first || res.Via().Params.GetOr("branch", "") != "z9hG4bK-byeretrans-2" {
		t.Fatalf("a BYE with a new branch got the old answer:\n%s", other)
	}
	if n := byes.Load(); n != 1 {
		t.Errorf("the callee got %d BYEs, want 1", n)
	}
	if recs, err := in.ListCDRs(ctx, pbx.CDRFilter{}); err != nil || len(recs) != 1 {
		t.Errorf("CDRs after the retransmissions: %v %+v, want one", err, recs)
	}
}
