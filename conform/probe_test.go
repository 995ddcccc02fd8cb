package conform

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/leakcheck"
)

// udpResponder answers every datagram with reply(datagram) (nil: silence).
func udpResponder(t *testing.T, reply func([]byte) []byte) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if out := reply(buf[:n]); out != nil {
				_, _ = pc.WriteTo(out, from)
			}
		}
	}()
	t.Cleanup(func() { _ = pc.Close(); wg.Wait() })
	return pc.LocalAddr().String()
}

// tcpResponder writes reply(first read) on every connection and keeps it
// open until the test ends.
func tcpResponder(t *testing.T, reply func([]byte) []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				buf := make([]byte, 65535)
				n, err := c.Read(buf)
				if err == nil {
					if out := reply(buf[:n]); out != nil {
						_, _ = c.Write(out)
					}
				}
				<-done
			}()
		}
	}()
	t.Cleanup(func() { close(done); _ = ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

// sipAnswer answers a parseable request with code.
func sipAnswer(code int) func([]byte) []byte {
	return func(b []byte) []byte {
		m, err := sip.NewParser().ParseSIP(b)
		req, ok := m.(*sip.Request)
		if err != nil || !ok {
			return nil
		}
		res := sip.NewResponseFromRequest(req, code, "Whatever", nil)
		res.AppendHeader(sip.NewHeader("Server", "fake"))
		return []byte(res.String())
	}
}

func garbage([]byte) []byte { return []byte("HTTP/1.1 400 Bad Request\r\n\r\n<html>nope</html>") }

func TestProbe(t *testing.T) {
	leakcheck.Check(t)
	silent := udpResponder(t, func([]byte) []byte { return nil })
	closedUDP := func() string { // a port nobody listens on: ICMP port unreachable
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		a := pc.LocalAddr().String()
		_ = pc.Close()
		return a
	}()
	closedTCP := func() string {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		a := ln.Addr().String()
		_ = ln.Close()
		return a
	}()
	tests := []struct {
		name, transport, addr string
		status                int
		err                   error
		msg                   string
	}{
		{"udp 200", "udp", udpResponder(t, sipAnswer(200)), 200, nil, "answered 200 Whatever"},
		{"udp 405 is an answer", "udp", udpResponder(t, sipAnswer(405)), 405, nil, "(fake)"},
		{"tcp 200", "tcp", tcpResponder(t, sipAnswer(200)), 200, nil, "over tcp"},
		{"udp silence", "udp", silent, 0, ErrNoAnswer, "no response to OPTIONS within 1.5s"},
		{"udp closed port", "udp", closedUDP, 0, ErrNoAnswer, "connection refused"},
		{"tcp refused", "tcp", closedTCP, 0, ErrNoAnswer, "connection refused"},
		{"tcp silence", "tcp", tcpResponder(t, func([]byte) []byte { return nil }), 0, ErrNoAnswer, "no response"},
		{"udp garbage", "udp", udpResponder(t, garbage), 0, ErrGarbage, `it answered "HTTP/1.1 400 Bad Request`},
		{"tcp garbage", "tcp", tcpResponder(t, garbage), 0, ErrGarbage, "HTTP/1.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			r := Probe(t.Context(), tt.transport, tt.addr, 1500*time.Millisecond)
			if took := time.Since(start); took > time.Minute {
				t.Errorf("the probe took %s", took)
			}
			if r.Status != tt.status || !errors.Is(r.Err, tt.err) || (tt.err == nil) != (r.Err == nil) {
				t.Fatalf("status %d, err %v; want %d, %v", r.Status, r.Err, tt.status, tt.err)
			}
			if !strings.Contains(r.String(), tt.msg) {
				t.Errorf("%q does not say %q", r.String(), tt.msg)
			}
		})
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if r := Probe(ctx, "udp", silent, time.Minute); !errors.Is(r.Err, ErrNoAnswer) {
		t.Errorf("cancelled probe: %v", r.Err)
	}
}
