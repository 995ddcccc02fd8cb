package steps

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/internal/memnet"
	"pbxlab/internal/testua"
	"pbxlab/sim/phone"
)

// fixtureUA is a fixture endpoint on an in-memory network with a socket
// standing in for the PBX (the returned conn sends as the PBX).
func fixtureUA(t *testing.T) (*testua.UA, net.PacketConn) {
	t.Helper()
	n := memnet.New()
	pbxAddr := netip.MustParseAddrPort("127.0.0.1:5999")
	pbx, err := n.ListenPacket("udp", pbxAddr.String())
	if err != nil {
		t.Fatal(err)
	}
	pc, err := n.ListenPacket("udp", "127.0.0.2:5060")
	if err != nil {
		t.Fatal(err)
	}
	ua, err := testua.New(testua.Config{Transport: "udp", PBX: pbxAddr}, testua.WithPacketConn(pc))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ua.Close(); _ = pbx.Close() })
	return ua, pbx
}

// quietWorld is a scenario with a call from 1001 to 1002, where 1002 is a
// simulated phone (sim) or only a fixture endpoint (raw), and a fake clock.
func quietWorld(t *testing.T, raw bool) (*world, *clock.Fake, *simPhone, net.PacketConn) {
	t.Helper()
	fake := clock.NewFake(time.Unix(1_700_000_000, 0))
	s, err := New(Config{Target: &InProcess{}, Clock: fake})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{suite: s, phones: map[phoneKey]*simPhone{}, raws: map[string]*rawPhone{}, subs: map[string]Subscriber{}}
	rec := &callRec{caller: "1001", callee: "1002", base: map[phoneKey]int{}}
	var sp *simPhone
	var pbx net.PacketConn
	if raw {
		var ua *testua.UA
		ua, pbx = fixtureUA(t)
		w.raws["1002"] = &rawPhone{name: "1002", ua: ua}
	} else {
		sp = &simPhone{key: phoneKey{name: "1002"}, changed: make(chan struct{})}
		w.phones[sp.key] = sp
		rec.base[sp.key] = 0
	}
	w.addCall(rec)
	return w, fake, sp, pbx
}

// startDoesNotRing runs the step and lets the bubble settle: the step has
// armed its quiet window on the fake clock and waits.
func startDoesNotRing(t *testing.T, w *world, fake *clock.Fake) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	go func() { done <- doesNotRing(ctx, w, "1002") }()
	synctest.Wait()
	if fake.Pending() == 0 {
		t.Fatal("the step never armed its quiet window")
	}
	return done
}

func result(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("the step did not return")
		return nil
	}
}

// TestDoesNotRingWaitsTheWholeWindow: a ring 1 ms before quietWindow ends
// fails "Then N does not ring"; quiet until the end passes it. Each case
// runs in a synctest bubble, and synctest.Wait after each advance of the
// fake clock lets the step react to it before the ring comes: a step that
// stopped listening early has then returned (and passed), which the case
// catches every time, not only when the step happens to be slow.
func TestDoesNotRingWaitsTheWholeWindow(t *testing.T) {
	t.Run("late ring on a simulated phone fails", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			w, fake, sp, _ := quietWorld(t, false)
			done := startDoesNotRing(t, w, fake)
			fake.Advance(quietWindow - time.Millisecond)
			synctest.Wait()
			sp.addIncoming(&phone.Call{})
			if err := result(t, done); !errors.Is(err, ErrExpectation) {
				t.Fatalf("a ring inside the window gave %v, want ErrExpectation", err)
			}
		})
	})
	t.Run("late INVITE at a fixture endpoint fails", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			w, fake, _, pbx := quietWorld(t, true)
			done := startDoesNotRing(t, w, fake)
			fake.Advance(quietWindow - time.Millisecond)
			synctest.Wait()
			if _, err := pbx.WriteTo([]byte(testInvite), net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.2:5060"))); err != nil {
				t.Fatal(err)
			}
			if err := result(t, done); !errors.Is(err, ErrExpectation) {
				t.Fatalf("an INVITE inside the window gave %v, want ErrExpectation", err)
			}
		})
	})
	for _, raw := range []bool{false, true} {
		name := "quiet simulated phone passes"
		if raw {
			name = "quiet fixture endpoint passes"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w, fake, _, _ := quietWorld(t, raw)
				done := startDoesNotRing(t, w, fake)
				fake.Advance(quietWindow)
				if err := result(t, done); err != nil {
					t.Fatalf("quiet for the whole window gave %v", err)
				}
			})
		})
	}
	t.Run("a phone that already rang fails at once", func(t *testing.T) {
		w, _, sp, _ := quietWorld(t, false)
		sp.addIncoming(&phone.Call{})
		if err := doesNotRing(t.Context(), w, "1002"); !errors.Is(err, ErrExpectation) {
			t.Fatalf("got %v", err)
		}
	})
}
