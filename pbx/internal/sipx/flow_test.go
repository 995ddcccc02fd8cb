package sipx

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pbxlab/pbx/internal/sourcelimit"
)

// TestFlows: an accepted connection counts as open until it is closed
// (once, however often Close is called), and a read that starts with a
// keepalive ping is handed on in two parts, the ping alone first.
func TestFlows(t *testing.T) {
	closed := make(chan netip.AddrPort, 4)
	f, client, c := acceptOne(t, func(ln net.Listener) *flows {
		return newFlows(ln, func(a netip.AddrPort) { closed <- a }, nil, nil)
	})
	remote := netip.MustParseAddrPort(client.LocalAddr().String())
	if !f.Open(remote) {
		t.Fatalf("%s not open after Accept", remote)
	}
	if _, err := client.Write([]byte("\r\n\r\nOPTIONS")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	var reads []string
	for got := ""; len(got) < len("\r\n\r\nOPTIONS"); {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		reads = append(reads, string(buf[:n]))
		got += string(buf[:n])
	}
	if reads[0] != "\r\n\r\n" || reads[len(reads)-1] == "\r\n\r\nOPTIONS" {
		t.Fatalf("reads %q: want the ping alone first", reads)
	}
	_ = client.Close()
	if _, err := c.Read(buf); err != io.EOF {
		t.Fatalf("read after the peer closed: %v, want EOF", err)
	}
	_ = c.Close()
	_ = c.Close()
	if a := <-closed; a != remote || f.Open(remote) {
		t.Fatalf("closed %s (open %v), want %s and no longer open", a, f.Open(remote), remote)
	}
	select {
	case a := <-closed:
		t.Fatalf("second close reported (%s)", a)
	default:
	}
}

// TestFlowsSourceLimit: a read from a source over its rate ends the
// connection (sipgo closes it on the error), and the connection's slot is
// given back when it closes.
func TestFlowsSourceLimit(t *testing.T) {
	lim := sourcelimit.New(sourcelimit.Config{Rate: 1, Burst: 3, Connections: 1})
	_, client, c := acceptOne(t, func(ln net.Listener) *flows { return newFlows(ln, nil, lim, nil) }) // one token
	buf := make([]byte, 64)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i := range 2 { // two more
		if _, err := client.Write([]byte("OPTIONS")); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Read(buf); err != nil {
			t.Fatalf("read %d within the burst: %v", i, err)
		}
	}
	if _, err := client.Write([]byte("OPTIONS")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(buf); !errors.Is(err, errSourceBlocked) {
		t.Fatalf("read over the burst: %v, want %v", err, errSourceBlocked)
	}
	src := netip.MustParseAddr("127.0.0.1")
	if !lim.Blocked(src) {
		t.Fatal("the source is not blocked")
	}
	_ = c.Close()
	if st := lim.Stats(); st.Blocked != 1 || st.Dropped != 1 {
		t.Fatalf("limiter stats %+v, want 1 blocked, 1 dropped", st)
	}
}

// TestTolerantConnSourceLimit: datagrams from a blocked source are dropped
// and the read goes on to the next one from another source.
func TestTolerantConnSourceLimit(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	lim := sourcelimit.New(sourcelimit.Config{Rate: 1, Burst: 2})
	conn := tolerantConn{PacketConn: pc, limit: lim}
	flood, err := net.ListenPacket("udp4", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	defer flood.Close()
	other, err := net.ListenPacket("udp4", "127.0.0.3:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for i := range 10 {
		if _, err := flood.WriteTo([]byte(fmt.Sprintf("flood %d", i)), pc.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := other.WriteTo([]byte("other"), pc.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	var got []string
	for len(got) < 3 {
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		got = append(got, strings.TrimSpace(string(buf[:n]))) // completeHeaders ended each with an empty line
	}
	if want := []string{"flood 0", "flood 1", "other"}; !slices.Equal(got, want) {
		t.Fatalf("read %q, want %q (the flood's burst, then the other source)", got, want)
	}
}

// TestFlowsSilent: once the stack is quiescing, a connection reads on but
// hands nothing to sipgo; its reader sees the end of the connection.
func TestFlowsSilent(t *testing.T) {
	var silent atomic.Bool
	_, client, c := acceptOne(t, func(ln net.Listener) *flows { return newFlows(ln, nil, nil, &silent) })
	buf := make([]byte, 64)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := client.Write([]byte("OPTIONS 1")); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Read(buf); err != nil || string(buf[:n]) != "OPTIONS 1" {
		t.Fatalf("read before quiescing: %q, %v", buf[:n], err)
	}
	silent.Store(true)
	if _, err := client.Write([]byte("OPTIONS 2")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	_ = client.Close()
	if n, err := c.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("read while quiescing: %q, %v; want nothing and EOF", buf[:n], err)
	}
}

// acceptOne listens on loopback through the flows newF makes, dials it
// and accepts the connection: the listener, the client's end and the
// accepted end, all closed when the test ends.
func acceptOne(t *testing.T, newF func(net.Listener) *flows) (*flows, net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := newF(ln)
	t.Cleanup(func() { _ = f.Close() })
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	c, err := f.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return f, client, c
}
