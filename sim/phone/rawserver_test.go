package phone

import (
	"net"
	"testing"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/memnet"
)

// rawServer is a bare UDP endpoint on an in-memory network for tests that
// play the far end by hand: every request it reads arrives on msgs with
// its source on from (in step); srv writes the answers.
type rawServer struct {
	srv  net.PacketConn
	msgs chan *sip.Request
	from chan net.Addr
}

// newRawServer listens at addr on nw until the test ends.
func newRawServer(t *testing.T, nw *memnet.Network, addr string) *rawServer {
	t.Helper()
	srv, err := nw.ListenPacket("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	r := &rawServer{srv: srv, msgs: make(chan *sip.Request, 32), from: make(chan net.Addr, 32)}
	go func() {
		parser := sip.NewParser()
		buf := make([]byte, 65535)
		for {
			n, addr, err := srv.ReadFrom(buf)
			if err != nil {
				close(r.msgs)
				return
			}
			if m, err := parser.ParseSIP(buf[:n]); err == nil {
				if req, ok := m.(*sip.Request); ok {
					r.msgs <- req
					r.from <- addr
				}
			}
		}
	}()
	return r
}
