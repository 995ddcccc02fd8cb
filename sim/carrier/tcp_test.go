package carrier

import (
	"errors"
	"net"
	"testing"
	"time"

	"pbxlab/internal/testua"
	"pbxlab/sim/phone"
)

// newTCPPBX is the far end on TCP: a phone Agent aimed at a TCP carrier.
func newTCPPBX(t *testing.T, c *Carrier) *phone.Agent {
	t.Helper()
	a, err := phone.NewAgent(phone.Config{LocalIP: loopback, Target: c.Addr().String(), Domain: c.Domain(), Transport: phone.TCP})
	if err != nil {
		t.Fatalf("NewAgent: %v", err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("Close agent: %v", err)
		}
	})
	return a
}

// TestCarrierOverTCP: a carrier on TCP takes a trunk's digest
// registration, answers a call out with the dialled number's identity and
// places an inbound call to the registered contact, all over TCP, with
// two-way audio both ways.
func TestCarrierOverTCP(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	c := newCarrier(t, Config{Transport: "TCP"})
	if c.Transport() != phone.TCP {
		t.Fatalf("transport %q", c.Transport())
	}
	pbx := newTCPPBX(t, c)
	got := make(chan *phone.Call, 1)
	trunk := newPhone(t, pbx, phone.PhoneConfig{Number: "pbxtrunk", Username: "trunk", Password: "secret",
		OnIncoming: func(call *phone.Call) { got <- call }})
	if _, err := trunk.Register(ctx); err != nil {
		t.Fatal(err)
	}
	b, ok := c.Binding("trunk")
	if !ok || b.Transport != "tcp" || b.Contact != trunk.Contact() {
		t.Fatalf("binding %+v, want over tcp at %s", b, trunk.Contact())
	}

	// out: the carrier terminates
	out, err := trunk.DialURI(ctx, "sip:0201000@"+c.Addr().String()+";transport=tcp")
	if err != nil {
		t.Fatal(err)
	}
	if err := out.WaitAnswer(ctx); err != nil {
		t.Fatalf("answer: %v", err)
	}
	inv, err := c.WaitInvites(ctx, 1)
	if err != nil || inv[0].Transport != "tcp" || inv[0].Call == nil {
		t.Fatalf("invites %+v: %v", inv, err)
	}
	out.ExpectIdentity(phone.IdentityFor("0201000"))
	if tw, err := phone.VerifyTwoWay(ctx, out, inv[0].Call); err != nil || !tw.OK() {
		t.Errorf("call out: two-way audio %+v: %v", tw, err)
	}
	if err := out.Hangup(ctx); err != nil {
		t.Fatal(err)
	}

	// in: the carrier originates to the registered contact
	call, err := c.Call(ctx, "4930555100", "0044207")
	if err != nil {
		t.Fatal(err)
	}
	var in *phone.Call
	select {
	case in = <-got:
	case <-ctx.Done():
		t.Fatal("no inbound call at the registered contact")
	}
	answeredAndHungUp(ctx, t, "inbound call", call, in, trunk.Identity())
}

// TestGarbageOverTCP: a garbage carrier on TCP writes its bytes on the
// INVITE's connection.
func TestGarbageOverTCP(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	c := newCarrier(t, Config{Transport: phone.TCP, Default: Behaviour{Action: Garbage}})
	u, err := testua.New(testua.Config{Transport: "tcp", PBX: c.Addr(), LocalIP: loopback, User: "pbx"})
	if err != nil {
		t.Fatalf("testua.New: %v", err)
	}
	t.Cleanup(func() { _ = u.Close() })
	if _, err := u.Start(u.NewInvite("sip:0049@"+c.Addr().String()+";transport=tcp", u.Offer())); err != nil {
		t.Fatal(err)
	}
	rec, err := u.Await(ctx, testua.Unparsable())
	if err != nil {
		t.Fatalf("no garbage: %v", err)
	}
	if string(rec.Raw) != garbageBytes {
		t.Errorf("got %q, want the garbage bytes", rec.Raw)
	}
}

// TestSilentOverTCP: a silent carrier on TCP answers no request (the
// REGISTER is counted as dropped) until Recover.
func TestSilentOverTCP(t *testing.T) {
	ctx := testCtx(t, 15*time.Second)
	c := newCarrier(t, Config{Transport: phone.TCP})
	pbx := newTCPPBX(t, c)
	trunk := newPhone(t, pbx, phone.PhoneConfig{Number: "pbxtrunk", Username: "trunk", Password: "secret"})
	c.GoSilent()
	short := testCtx(t, 500*time.Millisecond)
	if reg, err := trunk.Register(short); err == nil || reg.Code != 0 {
		t.Fatalf("REGISTER to a silent carrier: %+v %v, want no answer", reg, err)
	}
	if c.Dropped() < 1 || c.RegisterStats().Registers != 0 {
		t.Errorf("dropped %d, registers seen %d", c.Dropped(), c.RegisterStats().Registers)
	}
	c.Recover()
	if _, err := trunk.Register(ctx); err != nil {
		t.Fatalf("REGISTER after Recover: %v", err)
	}
}

func TestTransportConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Transport: "sctp"},
		{Transport: "tcp", ListenPacket: net.ListenPacket},
	} {
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", cfg.Transport, err)
		}
	}
}
