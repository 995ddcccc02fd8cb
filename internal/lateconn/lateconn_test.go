package lateconn

import (
	"errors"
	"net"
	"testing"
	"time"
)

func TestDeliversOnceAtClose(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	from := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5060}
	c := New(pc, []byte("late"), from)
	got := make(chan string, 2)
	go func() {
		buf := make([]byte, 16)
		for {
			n, addr, err := c.ReadFrom(buf)
			if err != nil {
				got <- err.Error()
				return
			}
			got <- string(buf[:n]) + " from " + addr.String()
		}
	}()
	select {
	case g := <-got:
		t.Fatalf("read %q before Close", g)
	case <-time.After(50 * time.Millisecond):
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if g := <-got; g != "late from 127.0.0.1:5060" {
		t.Fatalf("first read %q", g)
	}
	if g := <-got; g != net.ErrClosed.Error() {
		t.Fatalf("second read %q, want %v", g, net.ErrClosed)
	}
	if !c.Delivered() {
		t.Fatal("Delivered is false")
	}
	if err := c.Close(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
}
