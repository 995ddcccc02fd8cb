package pcapio

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

func TestSipgoServesWrappedSockets(t *testing.T) {
	checkGoroutines(t)
	path := filepath.Join(t.TempDir(), "sipgo.pcapng")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}

	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srvUA, err := sipgo.NewUA(sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(srvUA)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil)); err != nil {
			t.Errorf("respond: %v", err)
		}
	})
	var serving sync.WaitGroup
	serving.Go(func() { _ = srv.ServeUDP(WrapPacketConn(udp, w)) })
	serving.Go(func() { _ = srv.ServeTCP(WrapListener(tcp, w)) })

	cliUA, err := sipgo.NewUA(sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	client, err := sipgo.NewClient(cliUA, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}

	servers := map[string]netip.AddrPort{
		"UDP": udp.LocalAddr().(*net.UDPAddr).AddrPort(),
		"TCP": tcp.Addr().(*net.TCPAddr).AddrPort(),
	}
	for _, transport := range []string{"UDP", "TCP"} {
		addr := servers[transport]
		req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: addr.Addr().String(), Port: int(addr.Port())})
		req.SetTransport(transport)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res, err := client.Do(ctx, req)
		cancel()
		if err != nil {
			t.Fatalf("OPTIONS over %s: %v", transport, err)
		}
		if res.StatusCode != 200 {
			t.Fatalf("OPTIONS over %s: status %d", transport, res.StatusCode)
		}
	}

	client.Close()
	cliUA.Close()
	srvUA.Close()
	udp.Close()
	tcp.Close()
	serving.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	pkts, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, p := range SIPMessages(pkts) {
		msg, err := sip.ParseMessage(p.Payload)
		if err != nil {
			t.Fatalf("sipgo cannot parse captured %s payload %q: %v", p.Proto, p.Payload, err)
		}
		transport := strings.ToUpper(p.Proto)
		switch m := msg.(type) {
		case *sip.Request:
			if m.Method == sip.OPTIONS && p.Dst == servers[transport] {
				found[transport+" request"] = true
			}
		case *sip.Response:
			if m.StatusCode == 200 && p.Src == servers[transport] {
				found[transport+" response"] = true
			}
		}
	}
	for _, want := range []string{"UDP request", "UDP response", "TCP request", "TCP response"} {
		if !found[want] {
			t.Errorf("capture lacks the %s (found %v)", want, found)
		}
	}
}

// fakePacketConn is a PacketConn bound to local that reads one datagram
// from peer and then reports the connection closed.
type fakePacketConn struct {
	net.PacketConn // nil: unused methods panic
	local, peer    net.Addr
	read           bool
}

func (c *fakePacketConn) LocalAddr() net.Addr { return c.local }
func (c *fakePacketConn) ReadFrom(p []byte) (int, net.Addr, error) {
	if c.read {
		return 0, nil, net.ErrClosed
	}
	c.read = true
	return copy(p, "ping"), c.peer, nil
}
func (c *fakePacketConn) WriteTo(p []byte, _ net.Addr) (int, error) { return len(p), nil }

func TestWrapPacketConnRecordsAddresses(t *testing.T) {
	udpAddr := func(s string) net.Addr { return net.UDPAddrFromAddrPort(ap(s)) }
	tests := []struct {
		name, local, peer string
		wantLocal         string
	}{
		{"bound ipv4", "192.0.2.1:5060", "192.0.2.9:7000", "192.0.2.1:5060"},
		{"unspecified ipv4", "0.0.0.0:5060", "192.0.2.9:7000", "127.0.0.1:5060"},
		{"unspecified ipv6, ipv4 peer", "[::]:5060", "[::ffff:192.0.2.9]:7000", "127.0.0.1:5060"},
		{"unspecified ipv6", "[::]:5060", "[2001:db8::9]:7000", "[::1]:5060"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.pcapng")
			w, err := Create(path)
			if err != nil {
				t.Fatal(err)
			}
			pc := WrapPacketConn(&fakePacketConn{local: udpAddr(tc.local), peer: udpAddr(tc.peer)}, w)
			buf := make([]byte, 100)
			if _, _, err := pc.ReadFrom(buf); err != nil {
				t.Fatal(err)
			}
			if _, _, err := pc.ReadFrom(buf); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("second ReadFrom = %v", err)
			}
			if _, err := pc.WriteTo([]byte("pong"), udpAddr(tc.peer)); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			local, peer := ap(tc.wantLocal), netip.AddrPortFrom(ap(tc.peer).Addr().Unmap(), ap(tc.peer).Port())
			if len(got) != 2 ||
				got[0].Src != peer || got[0].Dst != local || string(got[0].Payload) != "ping" ||
				got[1].Src != local || got[1].Dst != peer || string(got[1].Payload) != "pong" {
				t.Fatalf("capture = %+v, want ping %s→%s and pong back", got, peer, local)
			}
		})
	}
}

func TestWrapConnRecordsStream(t *testing.T) {
	checkGoroutines(t)
	path := filepath.Join(t.TempDir(), "tcp.pcapng")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// The server side is not wrapped: each byte is recorded once, by the client.
	served := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 5)
		if _, err := io.ReadFull(c, buf); err != nil {
			served <- err
			return
		}
		_, err = c.Write([]byte("world"))
		served <- err
	}()
	raw, err := net.DialTimeout("tcp", l.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c := WrapConn(raw, w)
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	reply, err := io.ReadAll(c) // "world", then EOF: the server's FIN
	if err != nil || string(reply) != "world" {
		t.Fatalf("ReadAll = %q, %v", reply, err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	c.Close()
	c.Close()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	pkts, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	client := raw.LocalAddr().(*net.TCPAddr).AddrPort()
	server := l.Addr().(*net.TCPAddr).AddrPort()
	if len(pkts) != 2 ||
		pkts[0].Src != client || pkts[0].Dst != server || string(pkts[0].Payload) != "hello" ||
		pkts[1].Src != server || pkts[1].Dst != client || string(pkts[1].Payload) != "world" {
		t.Fatalf("capture = %+v", pkts)
	}
	// Handshake, hello, world, server FIN + ACK, client FIN + ACK.
	var flags []string
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, seg := range tcpFrames(t, data) {
		flags = append(flags, flagString(seg))
	}
	if got, want := strings.Join(flags, " "), "S S. . P. P. F. . F. ."; got != want {
		t.Errorf("TCP flags = %s, want %s", got, want)
	}
}

// answeringPacketConn answers a datagram before its WriteTo returns, as a
// local peer on a busy machine can: the answer is read (and recorded by the
// wrapper) while the write call is still in progress.
type answeringPacketConn struct {
	net.PacketConn // nil: unused methods panic
	local, peer    net.Addr
	wrapped        net.PacketConn // the wrapper around this conn
	answer         chan struct{}
}

func (c *answeringPacketConn) LocalAddr() net.Addr { return c.local }
func (c *answeringPacketConn) ReadFrom(p []byte) (int, net.Addr, error) {
	<-c.answer
	return copy(p, "200 answer"), c.peer, nil
}
func (c *answeringPacketConn) WriteTo(p []byte, _ net.Addr) (int, error) {
	close(c.answer)
	buf := make([]byte, 100)
	if _, _, err := c.wrapped.ReadFrom(buf); err != nil { // recorded now
		return 0, err
	}
	return len(p), nil
}

// TestWrapRecordsWriteBeforeAnswer: a datagram is recorded before the
// answer a peer gives while the write call is in progress (the capture
// order of a CANCEL and the 180 it reacts to on a loaded machine).
func TestWrapRecordsWriteBeforeAnswer(t *testing.T) {
	udpAddr := func(s string) net.Addr { return net.UDPAddrFromAddrPort(ap(s)) }
	path := filepath.Join(t.TempDir(), "c.pcapng")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	fake := &answeringPacketConn{local: udpAddr("192.0.2.1:5060"), peer: udpAddr("192.0.2.9:7000"), answer: make(chan struct{})}
	pc := WrapPacketConn(fake, w)
	fake.wrapped = pc
	if _, err := pc.WriteTo([]byte("180 ringing"), fake.peer); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got[0].Payload) != "180 ringing" || string(got[1].Payload) != "200 answer" {
		t.Fatalf("capture holds %d packets (%q first), want the write, then the answer", len(got), got[0].Payload)
	}
}
