package impair

import (
	"errors"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"pbxlab/internal/leakcheck"
)

// exchange sends one datagram from the phone to far and returns the
// source far saw it come from.
func exchange(t *testing.T, p *pair) net.Addr {
	t.Helper()
	if _, err := p.phone.WriteTo([]byte("ping"), p.far.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	_, from, err := p.far.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	return from
}

// reaches reports whether a datagram far sends to dst reaches the phone.
func reaches(t *testing.T, p *pair, dst net.Addr) bool {
	t.Helper()
	if _, err := p.far.WriteTo([]byte("pong"), dst); err != nil {
		t.Fatal(err)
	}
	synctest.Wait()
	if err := p.phone.SetReadDeadline(time.Now().Add(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.phone.SetReadDeadline(time.Time{}) }()
	buf := make([]byte, 64)
	_, _, err := p.phone.ReadFrom(buf)
	var ne net.Error
	if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
		t.Fatal(err)
	}
	return err == nil
}

// TestNATRebind: after rebind_after the next datagram leaves from a new
// external port; the old one is dead, the new one reaches the phone, and
// the phone's own address does not change.
func TestNATRebind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{NAT: NAT{RebindAfter: 10 * time.Second}}, 1)
		local := p.phone.LocalAddr().String()
		first := exchange(t, p)
		if first.String() != local {
			t.Fatalf("first binding %s, want the socket's own %s", first, local)
		}
		time.Sleep(5 * time.Second)
		if again := exchange(t, p); again.String() != first.String() {
			t.Fatalf("rebound after 5s (%s → %s), want after 10s", first, again)
		}
		time.Sleep(5 * time.Second)
		second := exchange(t, p)
		if second.String() == first.String() {
			t.Fatalf("still %s after 10s, want a new port", second)
		}
		if !reaches(t, p, second) {
			t.Errorf("a datagram to the new binding %s was lost", second)
		}
		if reaches(t, p, first) {
			t.Errorf("a datagram to the old binding %s arrived", first)
		}
		if got := p.phone.LocalAddr().String(); got != local {
			t.Errorf("LocalAddr %s after rebinding, want %s", got, local)
		}
		if got := p.phone.ExternalAddr().String(); got != second.String() {
			t.Errorf("ExternalAddr %s, want %s", got, second)
		}
		if s := p.phone.Stats(); s.Bindings != 2 {
			t.Errorf("%d bindings, want 2", s.Bindings)
		}
	})
}

// TestNATBindingTimeout: a binding lives binding_timeout after the phone
// last sent; what arrives later is dropped, and the next datagram sent
// makes a new binding.
func TestNATBindingTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{NAT: NAT{BindingTimeout: 30 * time.Second}}, 1)
		first := exchange(t, p)
		time.Sleep(20 * time.Second)
		if !reaches(t, p, first) {
			t.Fatalf("a datagram 20s after the last sent was dropped (timeout 30s)")
		}
		time.Sleep(15 * time.Second) // 35 s since the phone last sent
		if reaches(t, p, first) {
			t.Fatalf("a datagram 35s after the last sent arrived (timeout 30s)")
		}
		if s := p.phone.Stats(); s.NATDropped != 1 {
			t.Errorf("%d dropped by the NAT, want 1", s.NATDropped)
		}
		second := exchange(t, p)
		if second.String() == first.String() {
			t.Errorf("the binding after the timeout is still %s", second)
		}
		if !reaches(t, p, second) {
			t.Errorf("a datagram to the new binding %s was lost", second)
		}
	})
}

// TestRealUDP: the wrapper works on kernel sockets too: a datagram through
// a 30 ms delay reaches a kernel socket, and the NAT's rebinding opens a
// new kernel socket.
func TestRealUDP(t *testing.T) {
	leakcheck.Check(t)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Wrap(pc, Config{Delay: 30 * time.Millisecond, NAT: NAT{RebindAfter: time.Nanosecond}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	far, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer far.Close()
	if _, err := c.WriteTo([]byte("hello"), far.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if err := far.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, from, err := far.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("read %q from %v: %v", buf[:n], from, err)
	}
	if from.String() == c.LocalAddr().String() || from.String() != c.ExternalAddr().String() {
		t.Errorf("came from %s; want the new binding %s, not %s", from, c.ExternalAddr(), c.LocalAddr())
	}
	if _, err := far.WriteTo([]byte("back"), from); err != nil {
		t.Fatal(err)
	}
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if n, _, err = c.ReadFrom(buf); err != nil || string(buf[:n]) != "back" {
		t.Fatalf("reply %q: %v", buf[:n], err)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"all", Config{Loss: 2, Delay: time.Millisecond, Jitter: time.Millisecond, Duplicate: 1, Reorder: 1, NAT: NAT{RebindAfter: time.Minute, BindingTimeout: time.Minute}}, true},
		{"loss over 100", Config{Loss: 101}, false},
		{"negative duplicate", Config{Duplicate: -1}, false},
		{"negative delay", Config{Delay: -time.Second}, false},
		{"negative nat timeout", Config{NAT: NAT{BindingTimeout: -1}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
