package sipx

import (
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

// TestFlows: an accepted connection counts as open until it is closed
// (once, however often Close is called), and a read that starts with a
// keepalive ping is handed on in two parts, the ping alone first.
func TestFlows(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan netip.AddrPort, 4)
	f := newFlows(ln, func(a netip.AddrPort) { closed <- a })
	defer f.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	c, err := f.Accept()
	if err != nil {
		t.Fatal(err)
	}
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
