package phone

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"pbxlab/internal/lateconn"
)

// TestCloseOpensNoSocketForALateRequest: a request read as the Agent
// closes is answered through the Agent's own socket or not at all: sipgo
// never opens a socket of its own for it (a kernel socket even on memnet,
// which stalled TestVirtualCallbackTimeout's synctest bubble). The request's
// sender is a real socket, so an answer from a socket sipgo opened reaches
// it, while one through the Agent's (closed) socket cannot.
func TestCloseOpensNoSocketForALateRequest(t *testing.T) {
	checkLeaks(t)
	peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	from := peer.LocalAddr()
	const rounds = 20
	for i := range rounds {
		var conn *lateconn.Conn
		listen := func(network, address string) (net.PacketConn, error) {
			pc, err := net.ListenPacket(network, address)
			if err != nil {
				return nil, err
			}
			bye := fmt.Sprintf("BYE sip:1000@%s SIP/2.0\r\n"+
				"Via: SIP/2.0/UDP %s;branch=z9hG4bK-late-%d;rport\r\n"+
				"Max-Forwards: 70\r\n"+
				"From: <sip:pbx@127.0.0.1>;tag=pbx%d\r\n"+
				"To: <sip:1000@127.0.0.1>;tag=phone%d\r\n"+
				"Call-ID: late-%d@127.0.0.1\r\n"+
				"CSeq: 2 BYE\r\n"+
				"Content-Length: 0\r\n\r\n", pc.LocalAddr(), from, i, i, i, i)
			conn = lateconn.New(pc, []byte(bye), from)
			return conn, nil
		}
		a, err := NewAgent(Config{LocalIP: netip.MustParseAddr("127.0.0.1"), ListenPacket: listen})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		if !conn.Delivered() {
			t.Fatalf("round %d: the Agent's reader never took the late request", i)
		}
	}
	// An answer from a socket sipgo opened is on its way as soon as the
	// handler ran; give it a moment to arrive.
	buf := make([]byte, 2048)
	_ = peer.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if n, src, err := peer.ReadFrom(buf); err == nil {
		t.Fatalf("a late request was answered from %s, a socket the Agent does not listen on:\n%s", src, buf[:n])
	}
}
