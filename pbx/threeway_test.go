package pbx_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"pbxlab/internal/leakcheck"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// hearsOnly checks that c hears every party of numbers (and not its own
// identity) within 10 s.
func hearsOnly(ctx context.Context, t *testing.T, c *phone.Call, own string, numbers ...string) {
	t.Helper()
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := c.ListenAll(actx, othersOf(own, numbers)); err != nil {
		t.Errorf("%s does not hear %v (and only them): %v", own, othersOf(own, numbers), err)
	}
}

// holdAndConsult: A (1000) talks to B (1001), holds B and calls C
// (1002): A's held call, B's side of it, A's consultation call, C's side.
func holdAndConsult(ctx context.Context, t *testing.T, ps map[string]*testPhone) (ab, ba, ac, ca *phone.Call) {
	t.Helper()
	ab, ba = talk(ctx, t, ps["1000"], ps["1001"])
	if err := ab.Hold(ctx); err != nil {
		t.Fatalf("A holds B: %v", err)
	}
	ac, ca = talk(ctx, t, ps["1000"], ps["1002"])
	return ab, ba, ac, ca
}

// ended waits for c to end from the far side.
func ended(ctx context.Context, t *testing.T, c *phone.Call, what string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	end, err := c.Wait(wctx)
	if err != nil || end.By != phone.Remote {
		t.Fatalf("%s: call ended %+v, %v; want a BYE from the PBX", what, end, err)
	}
}

// TestThreePartyCall: A holds B, calls C and keys *3: A's held dialog
// ends, and A, B and C each hear the two others and not themselves. When
// A (the host) hangs up, B and C stay connected (on_host_hangup stay);
// when B hangs up, C is alone and the PBX ends C's call. Both calls'
// CDRs are written, answered.
func TestThreePartyCall(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	in := startPBX(t, nil, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1002")
	ab, ba, ac, ca := holdAndConsult(ctx, t, ps)
	if err := ac.SendDTMF(ctx, "*3"); err != nil {
		t.Fatal(err)
	}
	ended(ctx, t, ab, "A's held call after the merge")
	all := []string{"1000", "1001", "1002"}
	hearsOnly(ctx, t, ac, "1000", all...)
	hearsOnly(ctx, t, ba, "1001", all...)
	hearsOnly(ctx, t, ca, "1002", all...)
	if err := ac.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	hearsOnly(ctx, t, ba, "1001", "1001", "1002")
	hearsOnly(ctx, t, ca, "1002", "1001", "1002")
	if err := ba.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	ended(ctx, t, ca, "C alone in the conference")
	recs := waitCDRs(ctx, t, in, func(r []pbx.CDR) bool {
		return len(r) == 2 && r[0].Disposition != pbx.InProgress && r[1].Disposition != pbx.InProgress
	})
	for _, r := range recs {
		if r.Disposition != pbx.Answered || r.Caller != "1000" {
			t.Errorf("CDR %+v, want an answered call of 1000", r)
		}
	}
}

// TestThreePartyHostEnds: with on_host_hangup end, the host's hang-up
// ends B's and C's calls.
func TestThreePartyHostEnds(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	in := startPBX(t, func(c *config.Config) {
		c.Services.ThreeParty.OnHostHangup = "end"
	}, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1002")
	ab, ba, ac, ca := holdAndConsult(ctx, t, ps)
	if err := ac.SendDTMF(ctx, "*3"); err != nil {
		t.Fatal(err)
	}
	ended(ctx, t, ab, "A's held call after the merge")
	hearsOnly(ctx, t, ac, "1000", "1000", "1001", "1002")
	if err := ac.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	ended(ctx, t, ba, "B after the host left")
	ended(ctx, t, ca, "C after the host left")
	waitCDRs(ctx, t, in, func(r []pbx.CDR) bool {
		return len(r) == 2 && r[0].Disposition == pbx.Answered && r[1].Disposition == pbx.Answered
	})
}

// TestThreePartyAdHoc: a party of the three-party call (B) holds it,
// calls D and keys *3: D joins and the four hear each other. With
// max_parties 4 a fifth (E, added by C) is refused: C hears the busy
// tone in its call with E, which goes on.
func TestThreePartyAdHoc(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	in := startPBX(t, func(c *config.Config) {
		c.Services.ThreeParty.MaxParties = 4
	}, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1002", "1003", "1004")
	ab, ba, ac, ca := holdAndConsult(ctx, t, ps)
	if err := ac.SendDTMF(ctx, "*3"); err != nil {
		t.Fatal(err)
	}
	ended(ctx, t, ab, "A's held call after the merge")
	if err := ba.Hold(ctx); err != nil {
		t.Fatalf("B holds the conference: %v", err)
	}
	hearsOnly(ctx, t, ac, "1000", "1000", "1002") // B is away
	bd, db := talk(ctx, t, ps["1001"], ps["1003"])
	if err := bd.SendDTMF(ctx, "*3"); err != nil {
		t.Fatal(err)
	}
	ended(ctx, t, ba, "B's held conference leg after the merge")
	four := []string{"1000", "1001", "1002", "1003"}
	hearsOnly(ctx, t, ac, "1000", four...)
	hearsOnly(ctx, t, bd, "1001", four...)
	hearsOnly(ctx, t, ca, "1002", four...)
	hearsOnly(ctx, t, db, "1003", four...)

	if err := ca.Hold(ctx); err != nil {
		t.Fatal(err)
	}
	ce, _ := talk(ctx, t, ps["1002"], ps["1004"])
	if err := ce.SendDTMF(ctx, "*3"); err != nil {
		t.Fatal(err)
	}
	lctx, lcancel := context.WithTimeout(ctx, 10*time.Second)
	_, err := ce.Listen(lctx, phone.SingleTone(450)) // the cn plan's busy tone
	lcancel()
	if err != nil {
		t.Errorf("C does not hear the busy tone of a full conference: %v", err)
	}
	for _, c := range []*phone.Call{ce, ca, ac, bd, db} {
		if err := c.Hangup(ctx); err != nil && !errors.Is(err, phone.ErrCallState) {
			t.Fatal(err)
		}
	}
	waitCDRs(ctx, t, in, func(r []pbx.CDR) bool {
		if len(r) != 4 {
			return false
		}
		for _, x := range r {
			if x.Disposition != pbx.Answered {
				return false
			}
		}
		return true
	})
}

// TestThreePartyRefused: with three_party switched off for A, *3 gets the
// refusal tone and nothing changes: A still talks to C, B is still held
// by A. A party with no other call gets the refusal tone too.
func TestThreePartyRefused(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	in := startPBX(t, func(c *config.Config) {
		c.Services.Switches.Subscribers = map[string]map[string]config.Switch{"1000": {"three_party": config.SwitchOff}}
	}, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1002")
	ab, ba, ac, ca := holdAndConsult(ctx, t, ps)
	if err := ac.SendDTMF(ctx, "*3"); err != nil {
		t.Fatal(err)
	}
	lctx, lcancel := context.WithTimeout(ctx, 10*time.Second)
	_, err := ac.Listen(lctx, phone.SingleTone(450)) // the cn plan's error tone
	lcancel()
	if err != nil {
		t.Errorf("A does not hear the error tone: %v", err)
	}
	hearsOnly(ctx, t, ca, "1002", "1000", "1002")
	if err := ac.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ab.Resume(ctx); err != nil {
		t.Fatalf("A resumes B: %v", err)
	}
	hearsOnly(ctx, t, ab, "1000", "1000", "1001")
	// C (no other call) keys *3 in a call with B
	cb, _ := talk(ctx, t, ps["1002"], ps["1001"])
	if err := cb.SendDTMF(ctx, "*3"); err == nil {
		lctx, lcancel := context.WithTimeout(ctx, 10*time.Second)
		if _, err := cb.Listen(lctx, phone.SingleTone(450)); err != nil {
			t.Errorf("C (no held call) does not hear the error tone: %v", err)
		}
		lcancel()
	}
	for _, c := range []*phone.Call{cb, ab} {
		if err := c.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
	}
	_ = ba
	_ = ca
	waitCDRs(ctx, t, in, func(r []pbx.CDR) bool {
		return len(r) == 3 && r[0].Disposition == pbx.Answered && r[1].Disposition == pbx.Answered && r[2].Disposition == pbx.Answered
	})
}
