package carrier

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"pbxlab/internal/memnet"
	"pbxlab/sim/phone"
)

// TestVirtualSilentTimeout: on an in-memory network in virtual time, an
// INVITE to a silent number gets nothing back, so the caller's
// transaction times out (Timer B, 64*T1 = 32 s, RFC 3261 §17.1.1.2): what
// a PBX's failover on timeout waits for.
func TestVirtualSilentTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		nw := memnet.New()
		c, err := New(Config{LocalIP: netip.MustParseAddr("10.0.0.9"), ListenPacket: nw.ListenPacket, SignallingOnly: true,
			Default: Behaviour{Action: Silent}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		a, err := phone.NewAgent(phone.Config{LocalIP: netip.MustParseAddr("10.0.0.1"), ListenPacket: nw.ListenPacket, SignallingOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		p, err := a.NewPhone(phone.PhoneConfig{Number: "1000"})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		call, err := p.DialURI(ctx, "sip:0049@"+c.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		end, _ := call.Wait(ctx)
		took := time.Since(start)
		if end.Reason != phone.ReasonError || len(call.Provisional()) != 0 {
			t.Errorf("end %+v after %v, provisional %v: want a timeout with nothing received", end, call.Provisional(), took)
		}
		if took != 32*time.Second {
			t.Errorf("timed out after %v of virtual time, want Timer B (32s)", took)
		}
		// T1 doubling up to 32 s: INVITE at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s.
		if inv := c.Invites(); len(inv) != 1 || inv[0].Attempts != 7 {
			t.Errorf("invites %+v: want one call, 7 transmissions", inv)
		}
	})
}

// TestVirtualReregistration: the carrier grants at most max_expires; the
// client's refresh at half of it counts as a re-registration; an
// unregistration removes the binding.
func TestVirtualReregistration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		nw := memnet.New()
		c, err := New(Config{LocalIP: netip.MustParseAddr("10.0.0.9"), ListenPacket: nw.ListenPacket, SignallingOnly: true,
			Accounts: []Account{{Username: "trunk", Password: "secret"}}, MinExpires: 10 * time.Second, MaxExpires: 60 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		a, err := phone.NewAgent(phone.Config{LocalIP: netip.MustParseAddr("10.0.0.1"), ListenPacket: nw.ListenPacket,
			SignallingOnly: true, Target: c.Addr().String()})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		p, err := a.NewPhone(phone.PhoneConfig{Number: "pbx", Username: "trunk", Password: "secret", Expires: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		reg, err := p.Register(ctx)
		if err != nil || reg.Expires != 60*time.Second {
			t.Fatalf("Register %+v %v: want 60s granted (max_expires)", reg, err)
		}
		b, err := c.WaitRegistered(ctx, "trunk", 2) // the refresh at 30 s
		if err != nil {
			t.Fatal(err)
		}
		if b.Registrations != 2 {
			t.Errorf("binding %+v", b)
		}
		if _, err := p.Unregister(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, ok := c.Registered("trunk"); ok {
			t.Error("registered after unregister")
		}
		if st := c.RegisterStats(); st.Registers != 6 || st.Challenges != 3 {
			t.Errorf("stats %+v: want 3 REGISTERs each challenged once", st)
		}
	})
}

// TestVirtualBindingLifetime: a binding nobody refreshes lives exactly
// its granted lifetime on the carrier's (virtual) clock.
func TestVirtualBindingLifetime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		nw := memnet.New()
		c, err := New(Config{LocalIP: netip.MustParseAddr("10.0.0.9"), ListenPacket: nw.ListenPacket, SignallingOnly: true,
			Accounts: []Account{{Username: "trunk", Password: "secret"}}, MinExpires: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		a, err := phone.NewAgent(phone.Config{LocalIP: netip.MustParseAddr("10.0.0.1"), ListenPacket: nw.ListenPacket,
			SignallingOnly: true, Target: c.Addr().String()})
		if err != nil {
			t.Fatal(err)
		}
		p, err := a.NewPhone(phone.PhoneConfig{Number: "pbx", Username: "trunk", Password: "secret", Expires: 20 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Register(ctx); err != nil {
			t.Fatal(err)
		}
		b, ok := c.Binding("trunk")
		if !ok || b.Expires != 20*time.Second {
			t.Fatalf("binding %+v live=%v", b, ok)
		}
		if err := a.Close(); err != nil { // no refresh, no unregister
			t.Fatal(err)
		}
		time.Sleep(b.At.Add(20*time.Second - time.Millisecond).Sub(time.Now()))
		if _, _, ok := c.Registered("trunk"); !ok {
			t.Fatal("binding gone before its lifetime")
		}
		time.Sleep(time.Millisecond)
		if _, _, ok := c.Registered("trunk"); ok {
			t.Fatal("binding live at the end of its lifetime")
		}
	})
}
