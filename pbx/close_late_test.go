package pbx_test

import (
	"fmt"
	"net"
	"testing"
	"time"

	"pbxlab/internal/lateconn"
	"pbxlab/pbx"
	"pbxlab/pbx/pbxtest"
)

// TestCloseOpensNoSocketForALateRequest: a request read as the PBX shuts
// down is answered through the PBX's own socket or not at all; sipgo never
// opens a socket of its own for it (Stack.Quiesce). The request's sender is
// a real socket, so an answer from a socket sipgo opened reaches it, while
// one through the PBX's closed listener cannot.
func TestCloseOpensNoSocketForALateRequest(t *testing.T) {
	peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	from := peer.LocalAddr()
	const rounds = 10
	for i := range rounds {
		var conn *lateconn.Conn
		listen := func(network, address string) (net.PacketConn, error) {
			pc, err := net.ListenPacket(network, address)
			if err != nil || conn != nil {
				return pc, err
			}
			opt := fmt.Sprintf("OPTIONS sip:pbx@%s SIP/2.0\r\n"+
				"Via: SIP/2.0/UDP %s;branch=z9hG4bK-late-%d;rport\r\n"+
				"Max-Forwards: 70\r\n"+
				"From: <sip:probe@127.0.0.1>;tag=probe%d\r\n"+
				"To: <sip:pbx@127.0.0.1>\r\n"+
				"Call-ID: late-%d@127.0.0.1\r\n"+
				"CSeq: 1 OPTIONS\r\n"+
				"Content-Length: 0\r\n\r\n", pc.LocalAddr(), from, i, i, i)
			conn = lateconn.New(pc, []byte(opt), from)
			return conn, nil
		}
		in, err := pbxtest.Start(nil, pbxtest.Options{PBX: []pbx.Option{pbx.WithPacketListener(listen)}})
		if err != nil {
			t.Fatal(err)
		}
		if err := in.Close(); err != nil {
			t.Fatal(err)
		}
		if conn == nil || !conn.Delivered() {
			t.Fatalf("round %d: the PBX's reader never took the late request", i)
		}
	}
	// an answer from a socket sipgo opened is on its way as soon as the
	// handler ran; give it a moment to arrive
	buf := make([]byte, 2048)
	_ = peer.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if n, src, err := peer.ReadFrom(buf); err == nil {
		t.Fatalf("a late request was answered from %s, a socket the PBX does not listen on:\n%s", src, buf[:n])
	}
}
