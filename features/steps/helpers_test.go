package steps

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"log/slog"

	"github.com/emiago/sipgo/sip"
)

// discardConn is a net.PacketConn that records what is written and never
// reads (the fuzz tests feed rawUA.handle directly).
type discardConn struct {
	mu      sync.Mutex
	written [][]byte
}

func (c *discardConn) ReadFrom([]byte) (int, net.Addr, error) { return 0, nil, net.ErrClosed }
func (c *discardConn) WriteTo(p []byte, _ net.Addr) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.written = append(c.written, append([]byte(nil), p...))
	return len(p), nil
}
func (c *discardConn) Close() error { return nil }
func (c *discardConn) LocalAddr() net.Addr {
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5999}
}
func (c *discardConn) SetDeadline(time.Time) error      { return nil }
func (c *discardConn) SetReadDeadline(time.Time) error  { return nil }
func (c *discardConn) SetWriteDeadline(time.Time) error { return nil }

// responses parses what the rawUA wrote.
func (c *discardConn) responses() []*sip.Response {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*sip.Response
	for _, b := range c.written {
		if m, err := sip.ParseMessage(b); err == nil {
			if r, ok := m.(*sip.Response); ok {
				out = append(out, r)
			}
		}
	}
	return out
}

// offlineUA is a rawUA that is not reading from a socket.
func offlineUA() (*rawUA, *discardConn) {
	c := &discardConn{}
	return &rawUA{
		transport: "udp",
		pbx:       netip.MustParseAddrPort("127.0.0.1:5060"),
		local:     netip.MustParseAddrPort("127.0.0.1:5999"),
		pc:        c,
		log:       slog.New(slog.DiscardHandler),
		waiters:   map[string]chan *sip.Response{},
		changed:   make(chan struct{}),
	}, c
}

const testInvite = "INVITE sip:1002@127.0.0.1:5999 SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKpbx1\r\n" +
	"Max-Forwards: 70\r\n" +
	"From: <sip:1001@127.0.0.1>;tag=a1\r\n" +
	"To: <sip:1002@127.0.0.1>\r\n" +
	"Call-ID: call-1\r\n" +
	"CSeq: 1 INVITE\r\n" +
	"Contact: <sip:pbx@127.0.0.1:5060>\r\n" +
	"Content-Length: 0\r\n\r\n"

const testCancel = "CANCEL sip:1002@127.0.0.1:5999 SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKpbx1\r\n" +
	"Max-Forwards: 70\r\n" +
	"From: <sip:1001@127.0.0.1>;tag=a1\r\n" +
	"To: <sip:1002@127.0.0.1>\r\n" +
	"Call-ID: call-1\r\n" +
	"CSeq: 1 CANCEL\r\n" +
	"Content-Length: 0\r\n\r\n"

const testAck = "ACK sip:1002@127.0.0.1:5999 SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKpbx1\r\n" +
	"Max-Forwards: 70\r\n" +
	"From: <sip:1001@127.0.0.1>;tag=a1\r\n" +
	"To: <sip:1002@127.0.0.1>;tag=x\r\n" +
	"Call-ID: call-1\r\n" +
	"CSeq: 1 ACK\r\n" +
	"Content-Length: 0\r\n\r\n"
