package memnet

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestListenAddresses(t *testing.T) {
	for _, tc := range []struct {
		network, addr string
		want          string // bound address; "" means an error is expected
		wantErr       error
		ephemeral     bool
	}{
		{network: "udp", addr: "127.0.0.1:5060", want: "127.0.0.1:5060"},
		{network: "udp", addr: "127.0.0.7:0", want: "127.0.0.7", ephemeral: true},
		{network: "udp4", addr: "10.20.30.40:5062", want: "10.20.30.40:5062"},
		{network: "udp", addr: "[::1]:0", want: "[::1]", ephemeral: true},
		{network: "udp6", addr: "[2001:db8::5]:5060", want: "[2001:db8::5]:5060"},
		{network: "udp", addr: "[::ffff:192.0.2.1]:5060", want: "192.0.2.1:5060"},
		{network: "udp", addr: ":5070", want: "0.0.0.0:5070"},
		{network: "udp6", addr: ":5070", want: "[::]:5070"},
		{network: "udp", addr: "localhost:5060", wantErr: ErrBadAddress},
		{network: "udp", addr: "127.0.0.1", wantErr: ErrBadAddress},
		{network: "udp", addr: "127.0.0.1:70000", wantErr: ErrBadAddress},
		{network: "udp", addr: "[fe80::1%eth0]:5060", wantErr: ErrBadAddress},
		{network: "udp4", addr: "[::1]:5060", wantErr: ErrBadAddress},
		{network: "udp6", addr: "127.0.0.1:5060", wantErr: ErrBadAddress},
		{network: "tcp", addr: "127.0.0.1:5060", wantErr: ErrNetwork},
	} {
		t.Run(tc.network+"_"+tc.addr, func(t *testing.T) {
			nw := New()
			pc, err := nw.ListenPacket(tc.network, tc.addr)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("ListenPacket(%q, %q) = %v, want %v", tc.network, tc.addr, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close()
			got := pc.LocalAddr().String()
			if tc.ephemeral {
				ap := netip.MustParseAddrPort(got)
				if ap.Port() < firstEphemeral || !strings.HasPrefix(got, tc.want+":") {
					t.Fatalf("bound %s, want %s:<ephemeral>", got, tc.want)
				}
				return
			}
			if got != tc.want {
				t.Fatalf("bound %s, want %s", got, tc.want)
			}
			if _, ok := pc.LocalAddr().(*net.UDPAddr); !ok {
				t.Fatalf("LocalAddr is %T, want *net.UDPAddr", pc.LocalAddr())
			}
		})
	}
}

func TestListenConflictsAndEphemeralPorts(t *testing.T) {
	nw := New()
	a := mustListen(t, nw, "127.0.0.1:5060")
	if _, err := nw.ListenPacket("udp", "127.0.0.1:5060"); !errors.Is(err, ErrAddrInUse) {
		t.Fatalf("second bind: %v, want ErrAddrInUse", err)
	}
	// Another IP, same port: fine.
	mustListen(t, nw, "127.0.0.2:5060")
	seen := map[string]bool{}
	for range 50 {
		pc := mustListen(t, nw, "127.0.0.1:0")
		if seen[pc.LocalAddr().String()] {
			t.Fatalf("port handed out twice: %s", pc.LocalAddr())
		}
		seen[pc.LocalAddr().String()] = true
	}
	// A closed socket's address is free again.
	_ = a.Close()
	mustListen(t, nw, "127.0.0.1:5060")
}

func TestDatagrams(t *testing.T) {
	nw := New()
	a := mustListen(t, nw, "10.0.0.1:5060")
	b := mustListen(t, nw, "10.0.0.2:0")

	// Round trip; the receiver sees the sender's bound address.
	if _, err := b.WriteTo([]byte("hello"), a.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	n, from, err := a.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "hello" || from.String() != b.LocalAddr().String() {
		t.Fatalf("read %q from %v, %v", buf[:n], from, err)
	}

	// A 16-byte IPv4 address (as sipgo resolves them) reaches the IPv4 socket.
	dst := &net.UDPAddr{IP: net.ParseIP("10.0.0.1").To16(), Port: 5060}
	if _, err := b.WriteTo([]byte("mapped"), dst); err != nil {
		t.Fatal(err)
	}
	if n, _, _ = a.ReadFrom(buf); string(buf[:n]) != "mapped" {
		t.Fatalf("read %q", buf[:n])
	}

	// Truncation to the reader's buffer, as UDP.
	_, _ = b.WriteTo([]byte("0123456789"), a.LocalAddr())
	small := make([]byte, 4)
	if n, _, _ = a.ReadFrom(small); n != 4 || string(small) != "0123" {
		t.Fatalf("truncated read %d %q", n, small)
	}

	// The sender's buffer is copied: changing it after WriteTo changes nothing.
	msg := []byte("original")
	_, _ = b.WriteTo(msg, a.LocalAddr())
	copy(msg, "XXXXXXXX")
	if n, _, _ = a.ReadFrom(buf); string(buf[:n]) != "original" {
		t.Fatalf("read %q", buf[:n])
	}

	// Nobody listening: dropped silently, counted.
	if n, err := b.WriteTo([]byte("lost"), &net.UDPAddr{IP: net.ParseIP("10.9.9.9"), Port: 1}); err != nil || n != 4 {
		t.Fatalf("write to nowhere = %d, %v", n, err)
	}
	if s := nw.Stats(); s.NoListener != 1 || s.Delivered != 4 || s.Sent != 5 {
		t.Fatalf("stats %+v", s)
	}

	// Errors: other family, too big, bad address.
	for _, tc := range []struct {
		data []byte
		addr net.Addr
		want error
	}{
		{[]byte("x"), &net.UDPAddr{IP: net.IPv6loopback, Port: 5060}, ErrBadAddress},
		{make([]byte, MaxDatagram+1), a.LocalAddr(), ErrTooBig},
		{[]byte("x"), nil, ErrBadAddress},
		{[]byte("x"), &net.UDPAddr{IP: net.ParseIP("10.0.0.1")}, ErrBadAddress},
	} {
		if _, err := b.WriteTo(tc.data, tc.addr); !errors.Is(err, tc.want) {
			t.Errorf("WriteTo(%d bytes, %v) = %v, want %v", len(tc.data), tc.addr, err, tc.want)
		}
	}
}

func TestWildcardSocket(t *testing.T) {
	nw := New()
	wild := mustListen(t, nw, "0.0.0.0:5060")
	exact := mustListen(t, nw, "127.0.0.9:5060")
	peer := mustListen(t, nw, "10.0.0.5:0")
	buf := make([]byte, 64)

	_, _ = peer.WriteTo([]byte("to-any"), &net.UDPAddr{IP: net.ParseIP("192.0.2.7"), Port: 5060})
	if n, _, err := wild.ReadFrom(buf); err != nil || string(buf[:n]) != "to-any" {
		t.Fatalf("wildcard read %q, %v", buf[:n], err)
	}
	_, _ = peer.WriteTo([]byte("to-exact"), exact.LocalAddr())
	if n, _, err := exact.ReadFrom(buf); err != nil || string(buf[:n]) != "to-exact" {
		t.Fatalf("exact read %q, %v", buf[:n], err)
	}
	// A wildcard socket sends from loopback.
	_, _ = wild.WriteTo([]byte("reply"), peer.LocalAddr())
	if n, from, err := peer.ReadFrom(buf); err != nil || string(buf[:n]) != "reply" || from.String() != "127.0.0.1:5060" {
		t.Fatalf("reply %q from %v, %v", buf[:n], from, err)
	}
}

func TestQueueOverflowDrops(t *testing.T) {
	nw := New(WithQueueLen(3))
	rx := mustListen(t, nw, "127.0.0.1:0")
	tx := mustListen(t, nw, "127.0.0.1:0")
	for i := range 5 {
		if _, err := tx.WriteTo([]byte{byte(i)}, rx.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	if d := rx.(*Conn).Drops(); d != 2 {
		t.Fatalf("drops = %d, want 2", d)
	}
	if s := nw.Stats(); s.QueueFull != 2 || s.Delivered != 3 {
		t.Fatalf("stats %+v", s)
	}
	buf := make([]byte, 4)
	for i := range 3 { // the first three, in order
		if n, _, err := rx.ReadFrom(buf); err != nil || n != 1 || buf[0] != byte(i) {
			t.Fatalf("read %d: %v %v", i, buf[:n], err)
		}
	}
}

func TestCloseWakesReaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := New()
		pc := mustListen(t, nw, "127.0.0.1:0")
		errs := make(chan error, 3)
		for range 3 {
			go func() {
				_, _, err := pc.ReadFrom(make([]byte, 10))
				errs <- err
			}()
		}
		synctest.Wait() // all three blocked, durably
		if err := pc.Close(); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := <-errs; !errors.Is(err, net.ErrClosed) {
				t.Fatalf("reader woke with %v, want net.ErrClosed", err)
			}
		}
		if err := pc.Close(); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("second close: %v", err)
		}
		if _, err := pc.WriteTo([]byte("x"), pc.LocalAddr()); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("write after close: %v", err)
		}
		// The address is free, a packet to it is dropped as "no listener".
		other := mustListen(t, nw, "127.0.0.1:0")
		_, _ = other.WriteTo([]byte("x"), pc.LocalAddr())
		if s := nw.Stats(); s.NoListener != 1 {
			t.Fatalf("stats %+v", s)
		}
	})
}

// TestDeadlinesAreVirtual: inside a bubble, an hour-long read deadline
// passes at once in real time and exactly on time in virtual time.
func TestDeadlinesAreVirtual(t *testing.T) {
	wall := time.Now()
	synctest.Test(t, func(t *testing.T) {
		nw := New()
		pc := mustListen(t, nw, "127.0.0.1:0")
		start := time.Now()
		_ = pc.SetReadDeadline(start.Add(time.Hour))
		_, _, err := pc.ReadFrom(make([]byte, 10))
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("read: %v, want a timeout", err)
		}
		if got := time.Since(start); got != time.Hour {
			t.Fatalf("deadline fired after %v of virtual time, want 1h", got)
		}
		// Still expired until reset; a past deadline fails at once.
		if _, _, err := pc.ReadFrom(make([]byte, 10)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("second read: %v", err)
		}
		// Clearing it lets data through again.
		_ = pc.SetReadDeadline(time.Time{})
		_, _ = pc.WriteTo([]byte("ok"), pc.LocalAddr())
		if n, _, err := pc.ReadFrom(make([]byte, 10)); err != nil || n != 2 {
			t.Fatalf("read after clearing: %d %v", n, err)
		}
		// A deadline moved while a reader waits: the reader follows it.
		_ = pc.SetReadDeadline(time.Now().Add(time.Minute))
		done := make(chan time.Duration)
		go func() {
			s := time.Now()
			_, _, _ = pc.ReadFrom(make([]byte, 10))
			done <- time.Since(s)
		}()
		synctest.Wait()
		_ = pc.SetReadDeadline(time.Now().Add(10 * time.Second))
		if got := <-done; got != 10*time.Second {
			t.Fatalf("moved deadline fired after %v, want 10s", got)
		}
		// Write deadline in the past.
		_ = pc.SetWriteDeadline(time.Now().Add(-time.Second))
		if _, err := pc.WriteTo([]byte("x"), pc.LocalAddr()); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("write past deadline: %v", err)
		}
		_ = pc.Close()
	})
	if real := time.Since(wall); real > time.Minute {
		t.Fatalf("virtual hour took %v of real time", real)
	}
}

// TestEchoInBubble runs a request/response exchange between goroutines
// with timeouts, entirely in virtual time.
func TestEchoInBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := New()
		srv := mustListen(t, nw, "[2001:db8::1]:5060")
		cli := mustListen(t, nw, "[2001:db8::2]:0")
		var wg sync.WaitGroup
		wg.Go(func() {
			buf := make([]byte, 100)
			for {
				n, from, err := srv.ReadFrom(buf)
				if err != nil {
					return
				}
				time.Sleep(2 * time.Second) // "processing"
				_, _ = srv.WriteTo(buf[:n], from)
			}
		})
		start := time.Now()
		for i := range 10 {
			_, _ = cli.WriteTo([]byte{byte(i)}, srv.LocalAddr())
			_ = cli.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 10)
			n, from, err := cli.ReadFrom(buf)
			if err != nil || n != 1 || buf[0] != byte(i) || from.String() != "[2001:db8::1]:5060" {
				t.Fatalf("echo %d: %v from %v, %v", i, buf[:n], from, err)
			}
		}
		if got := time.Since(start); got != 20*time.Second {
			t.Fatalf("10 echoes took %v virtual, want 20s", got)
		}
		_ = srv.Close()
		_ = cli.Close()
		wg.Wait()
	})
}

func TestFilter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := New()
		a := mustListen(t, nw, "10.0.0.1:1000")
		b := mustListen(t, nw, "10.0.0.2:2000")
		nw.SetFilter(func(p Packet) Verdict {
			switch string(p.Data) {
			case "drop":
				return Verdict{Drop: true}
			case "slow":
				return Verdict{Delay: 3 * time.Second}
			case "twice":
				return Verdict{Duplicates: 1}
			}
			if p.From.Port() == 2000 { // a one-way link impairment
				return Verdict{Drop: true}
			}
			return Verdict{}
		})
		start := time.Now()
		for _, m := range []string{"drop", "slow", "twice", "fast"} {
			_, _ = a.WriteTo([]byte(m), b.LocalAddr())
		}
		_, _ = b.WriteTo([]byte("back"), a.LocalAddr())
		var got []string
		buf := make([]byte, 10)
		for range 4 {
			n, _, err := b.ReadFrom(buf)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(buf[:n])+"@"+time.Since(start).String())
		}
		want := "twice@0s twice@0s fast@0s slow@3s"
		if strings.Join(got, " ") != want {
			t.Fatalf("received %v, want %s", got, want)
		}
		s := nw.Stats()
		if s.Filtered != 2 || s.Delivered != 4 || s.Sent != s.Delivered+s.Filtered+s.NoListener+s.QueueFull {
			t.Fatalf("stats %+v", s)
		}
		nw.SetFilter(nil)
		_ = a.Close()
		_ = b.Close()
	})
}

func mustListen(t *testing.T, nw *Network, addr string) net.PacketConn {
	t.Helper()
	pc, err := nw.ListenPacket("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}
