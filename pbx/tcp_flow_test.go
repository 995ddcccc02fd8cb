package pbx_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// TestCallOverRegisteredTCPConnection: a phone registered over TCP whose
// Contact does not accept connections (as behind NAT or a firewall) is
// called over the connection it registered on. When that connection
// closes, its binding goes at once, and a call to it is treated as one to
// a phone that is not registered (the PBX's announcement, then 480
// Temporarily Unavailable): the PBX dials neither the Contact nor the
// address the connection came from. Once the phone registers again over a
// new connection, it is called over that one.
func TestCallOverRegisteredTCPConnection(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := startPBX(t, nil, pbxtest.Options{})
	caller := registered(ctx, t, in.Target(), phone.Config{}, "1000")["1000"]
	// a port nothing listens on: the Contact of a phone nobody can connect to
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	contact := "<sip:1001@" + dead.Addr().String() + ";transport=tcp>"
	_ = dead.Close()

	callee := func() *testua.UA {
		u, err := testua.New(testua.Config{Transport: "tcp", PBX: in.TCP, User: "1001"}, testua.WithAuto(testua.DefaultAuto|testua.AutoAnswer))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = u.Close() })
		if res, err := u.Register(ctx, testua.Registration{Password: "demo1001", Contact: contact, Expires: 300}); err != nil || res.StatusCode != 200 {
			t.Fatalf("REGISTER over TCP: %v, %v", res, err)
		}
		return u
	}
	call := func(u *testua.UA) {
		t.Helper()
		c, err := caller.Dial(ctx, "1001")
		if err != nil {
			t.Fatal(err)
		}
		inc, err := u.AwaitIncoming(ctx, testua.Method(sip.INVITE))
		if err != nil {
			t.Fatalf("the INVITE never came over the registered connection: %v (call code %d)", err, c.Code())
		}
		if inc.Source() != in.TCP {
			t.Errorf("INVITE from %s, want the PBX's %s", inc.Source(), in.TCP)
		}
		if err := c.WaitAnswer(ctx); err != nil {
			t.Fatalf("answer: %v (code %d)", err, c.Code())
		}
		if err := c.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := u.AwaitIncoming(ctx, testua.Method(sip.BYE)); err != nil {
			t.Fatalf("the BYE never came over the registered connection: %v", err)
		}
	}

	first := callee()
	call(first)

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	for {
		bs, err := in.Registrar().Lookup(ctx, "1001")
		if err == nil && len(bs) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the binding outlives its TCP connection: %+v, %v", bs, err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	c, err := caller.Dial(ctx, "1001")
	if err != nil {
		t.Fatal(err)
	}
	var se *phone.StatusError
	if err := c.WaitAnswer(ctx); !errors.As(err, &se) || se.Code != 480 {
		t.Fatalf("call after the connection closed: %v (code %d), want 480", err, c.Code())
	}

	call(callee())
}

// TestTCPBindingAfterRestart: a binding registered over TCP survives a
// restart of the PBX in the store, but its connection does not: a call to
// it gets 480 (as to a phone not registered) and the PBX connects neither
// to the phone's Contact nor to the address the old connection came from,
// until the phone registers again.
func TestTCPBindingAfterRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	start := func() *pbxtest.Instance {
		in, err := pbxtest.Start(config.Demo(), pbxtest.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = in.Close() })
		return in
	}
	in := start()
	// the phone's Contact: a listener that counts the connections the PBX makes to it
	contactLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer contactLn.Close()
	dialled := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := contactLn.Accept()
			if err != nil {
				return
			}
			dialled <- c
		}
	}()
	u, err := testua.New(testua.Config{Transport: "tcp", PBX: in.TCP, User: "1001"})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	contact := "<sip:1001@" + contactLn.Addr().String() + ";transport=tcp>"
	if res, err := u.Register(ctx, testua.Registration{Password: "demo1001", Contact: contact, Expires: 300}); err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER over TCP: %v, %v", res, err)
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	in = start()
	if bs, err := in.Registrar().Lookup(ctx, "1001"); err != nil || len(bs) != 1 {
		t.Fatalf("after the restart 1001's bindings are %+v, %v; want the one registered over TCP", bs, err)
	}
	caller := registered(ctx, t, in.Target(), phone.Config{}, "1000")["1000"]
	c, err := caller.Dial(ctx, "1001")
	if err != nil {
		t.Fatal(err)
	}
	var se *phone.StatusError
	if err := c.WaitAnswer(ctx); !errors.As(err, &se) || se.Code != 480 {
		t.Fatalf("call to the binding whose connection is gone: %v (code %d), want 480", err, c.Code())
	}
	select {
	case conn := <-dialled:
		_ = conn.Close()
		t.Fatal("the PBX connected to the Contact of a phone registered over TCP")
	default:
	}
}
