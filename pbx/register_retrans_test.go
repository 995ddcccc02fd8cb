package pbx_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"pbxlab/pbx/pbxtest"
)

// TestRegisterRetransmissionAnsweredAlike: a REGISTER retransmitted over
// UDP after its answer went out (RFC 3261 §17.2.2, the server
// transaction's Completed state) gets the very same response again — same
// To tag, same nonce — although the PBX ended the sipgo transaction at once
// and answers it from sipx.Replay; a new branch is a new request (a fresh
// challenge).
func TestRegisterRetransmissionAnsweredAlike(t *testing.T) {
	in := startPBX(t, nil, pbxtest.Options{})
	c, err := net.Dial("udp", in.UDP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	local := c.LocalAddr().String()
	send := func(branch string) string {
		t.Helper()
		msg := fmt.Sprintf("REGISTER sip:%s SIP/2.0\r\n"+
			"Via: SIP/2.0/UDP %s;rport;branch=%s\r\n"+
			"Max-Forwards: 70\r\nTo: <sip:1000@%s>\r\nFrom: <sip:1000@%s>;tag=r1\r\n"+
			"Call-ID: retrans-1\r\nCSeq: 1 REGISTER\r\nContact: <sip:1000@%s>\r\nExpires: 60\r\nContent-Length: 0\r\n\r\n",
			in.UDP, local, branch, in.UDP, in.UDP, local)
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 8192)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("no answer to REGISTER %s: %v", branch, err)
		}
		return string(buf[:n])
	}
	first := send("z9hG4bK-retrans-a")
	if !strings.HasPrefix(first, "SIP/2.0 401") {
		t.Fatalf("unauthenticated REGISTER answered:\n%s", first)
	}
	for range 2 {
		if again := send("z9hG4bK-retrans-a"); again != first {
			t.Fatalf("retransmission answered differently:\n%s\nfirst:\n%s", again, first)
		}
	}
	if other := send("z9hG4bK-retrans-b"); other == first || !strings.HasPrefix(other, "SIP/2.0 401") {
		t.Fatalf("a new transaction got the old answer or no challenge:\n%s", other)
	}
}
