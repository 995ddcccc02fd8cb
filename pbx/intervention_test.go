package pbx_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/leakcheck"
	"pbxlab/internal/testua"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/services/intervention"
	"pbxlab/pbx/internal/services/password"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// interventionConfig: 1003 and 1004 may intervene; 1005 has 1004's
// right by its password 5678 (1005 itself has none); 1009 is protected.
func interventionConfig(c *config.Config) {
	c.Services.Intervention = intervention.Config{Right: []string{"1003", "1004"}, Protected: []string{"1009"}}
	c.Services.Password = password.Config{Passwords: map[string]string{"1004": "5678"}}
}

// hearsMusic: leg hears a note of the built-in music on hold (B3, the
// tune's most frequent).
func hearsMusic(ctx context.Context, leg *phone.Call) error {
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := leg.Listen(lctx, phone.SingleTone(246.94))
	return err
}

// TestInterventionLeave: A (1001) talks to B (1002); C (1003, or 1005
// with 1004's password) intervenes: A and C hear each other, B hears the
// call-waiting music; C's *89# (RFC 4733) ends C's call and A and B talk
// again; both calls are recorded answered.
func TestInterventionLeave(t *testing.T) {
	leakcheck.Check(t)
	for _, tc := range []struct{ name, c, code string }{
		{"plain", "1003", "*89*1001#"},
		{"password", "1005", "*89*56781001#"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			in := startPBX(t, interventionConfig, pbxtest.Options{})
			ps := registered(ctx, t, in.Target(), phone.Config{}, "1001", "1002", tc.c)
			a, b := talk(ctx, t, ps["1001"], ps["1002"])
			c, err := ps[tc.c].Dial(ctx, tc.code)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.WaitAnswer(ctx); err != nil {
				t.Fatalf("intervention: %v (code %d)", err, c.Code())
			}
			a.ExpectIdentity(phone.IdentityFor(tc.c))
			c.ExpectIdentity(phone.IdentityFor("1001"))
			if _, err := phone.VerifyTwoWay(ctx, a, c); err != nil {
				t.Errorf("A and C: %v", err)
			}
			if err := hearsMusic(ctx, b); err != nil {
				t.Errorf("B does not hear the music: %v", err)
			}
			// the intervention survives a re-INVITE of the A–B call (a
			// refresh; media.TestIsolate: the anchor does not relink A and B)
			if err := b.Resume(ctx); err != nil {
				t.Fatalf("B's re-INVITE: %v", err)
			}
			if _, err := phone.VerifyTwoWay(ctx, a, c); err != nil {
				t.Errorf("A and C after B's re-INVITE: %v", err)
			}
			if err := hearsMusic(ctx, b); err != nil {
				t.Errorf("B does not hear the music after its re-INVITE: %v", err)
			}
			if err := c.SendDTMF(ctx, intervention.LeaveCode); err != nil && c.State() != phone.Ended {
				t.Fatalf("send *89#: %v", err)
			}
			if end, err := c.Wait(ctx); err != nil || end.Reason != phone.ReasonBye || end.By != phone.Remote {
				t.Errorf("C's call ended %+v, %v; want a BYE from the PBX", end, err)
			}
			a.ExpectIdentity(phone.IdentityFor("1002"))
			if _, err := phone.VerifyTwoWay(ctx, a, b); err != nil {
				t.Errorf("A and B after *89#: %v", err)
			}
			if err := a.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			if end, err := b.Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
				t.Errorf("B ended %+v, %v", end, err)
			}
			recs := waitCDRs(ctx, t, in, func(r []pbx.CDR) bool { return len(r) == 2 })
			for _, r := range recs {
				if r.Disposition != pbx.Answered {
					t.Errorf("record %+v: want answered", r)
				}
			}
		})
	}
}

// TestInterventionHangup: C hanging up ends the original call (BYE to A
// and B); a second intervener meanwhile gets 486.
func TestInterventionHangup(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	in := startPBX(t, interventionConfig, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1001", "1002", "1003", "1004")
	a, b := talk(ctx, t, ps["1001"], ps["1002"])
	c, err := ps["1003"].Dial(ctx, "*89*1001#")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatalf("intervention: %v (code %d)", err, c.Code())
	}
	d, err := ps["1004"].Dial(ctx, "*89*1002#")
	if err != nil {
		t.Fatal(err)
	}
	if end, err := d.Wait(ctx); err != nil || end.Code != 486 {
		t.Errorf("second intervention ended %+v, %v; want 486", end, err)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	for name, leg := range map[string]*phone.Call{"A": a, "B": b} {
		if end, err := leg.Wait(ctx); err != nil || end.Reason != phone.ReasonBye || end.By != phone.Remote {
			t.Errorf("%s ended %+v, %v; want a BYE from the PBX", name, end, err)
		}
	}
	recs := waitCDRs(ctx, t, in, func(r []pbx.CDR) bool { return len(r) == 3 })
	ended := false
	for _, r := range recs {
		if r.Caller == "1001" && strings.Contains(r.Reason, "intervener hung up") {
			ended = true
		}
	}
	if !ended {
		t.Errorf("records %+v: want A's call ended by the intervener's hang-up", recs)
	}
}

// TestInterventionRefused: the answers to what may not be done.
func TestInterventionRefused(t *testing.T) {
	leakcheck.Check(t)
	for _, tc := range []struct {
		name   string
		media  bool
		inCall string // who talks to 1002 first ("": nobody)
		c      string
		code   string
		want   int
	}{
		{"no right", true, "1001", "1005", "*89*1001#", 403},
		{"wrong password", true, "1001", "1005", "*89*11111001#", 403},
		{"protected", true, "1009", "1003", "*89*1009#", 403},
		{"the partner itself", true, "1003", "1003", "*89*1002#", 403},
		{"not in a call", true, "", "1003", "*89*1001#", 480},
		{"no such subscriber", true, "", "1003", "*89*1999#", 404},
		{"malformed", true, "", "1003", "*89*1a#", 484},
		{"leave with no intervention", true, "", "1003", "*89#", 480},
		{"media server off", false, "", "1003", "*89*1001#", 486},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			in := startPBX(t, func(c *config.Config) { interventionConfig(c); c.Media.Enabled = tc.media }, pbxtest.Options{})
			nums := []string{tc.c}
			if tc.inCall != "" && tc.inCall != tc.c {
				nums = append(nums, tc.inCall)
			}
			nums = append(nums, "1002")
			ps := registered(ctx, t, in.Target(), phone.Config{}, nums...)
			var a *phone.Call
			if tc.inCall != "" {
				a, _ = talk(ctx, t, ps[tc.inCall], ps["1002"])
			}
			c, err := ps[tc.c].Dial(ctx, tc.code)
			if err != nil {
				t.Fatal(err)
			}
			if end, err := c.Wait(ctx); err != nil || end.Code != tc.want {
				t.Errorf("intervention ended %+v, %v; want %d", end, err, tc.want)
			}
			if a != nil {
				if a.State() != phone.Answered {
					t.Errorf("the call in progress is %v after the refusal", a.State())
				}
				if err := a.Hangup(ctx); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestInterventionLeaveByInfo: C's *89# sent as SIP INFO
// (application/dtmf-relay, one digit each) leaves too: each INFO gets
// 200, the PBX sends C a BYE and A and B talk again.
func TestInterventionLeaveByInfo(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	in := startPBX(t, interventionConfig, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1001", "1002")
	a, b := talk(ctx, t, ps["1001"], ps["1002"])
	u := newUA(t, in.UDP, "1003")
	tx := authedInvite(ctx, t, u, u.NewInvite("*89*1001", u.Offer()), "1003", "demo1003")
	res, err := tx.Final(ctx)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("intervention INVITE: %v %v", res, err)
	}
	if _, err := tx.Ack(nil); err != nil {
		t.Fatal(err)
	}
	d := tx.Dialog()
	if err := hearsMusic(ctx, b); err != nil {
		t.Errorf("B does not hear the music: %v", err)
	}
	for _, digit := range intervention.LeaveCode {
		if code := info(ctx, t, d, "application/dtmf-relay", "Signal="+string(digit)+"\r\nDuration=100\r\n"); code != 200 {
			t.Errorf("INFO %c answered %d, want 200", digit, code)
		}
	}
	if _, err := u.Await(ctx, testua.Method(sip.BYE)); err != nil {
		t.Errorf("no BYE to C after *89#: %v", err)
	}
	a.ExpectIdentity(phone.IdentityFor("1002"))
	if _, err := phone.VerifyTwoWay(ctx, a, b); err != nil {
		t.Errorf("A and B after *89#: %v", err)
	}
	if err := a.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestInterventionWaitsForTheACK: C dials *89* while A's 200 still waits
// for A's ACK (the race of the features run on 91403bb: the caller's ACK
// and C's INVITE reach the PBX together). The PBX waits for the ACK and
// then intervenes; an ACK that never comes gives C 480 once the search
// gives up (2 s), and the A–B call goes on.
func TestInterventionWaitsForTheACK(t *testing.T) {
	leakcheck.Check(t)
	for _, tc := range []struct {
		name string
		ack  bool
		want int
	}{
		{"ACK comes", true, 200},
		{"ACK never comes", false, 480},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			in := startPBX(t, func(c *config.Config) {
				interventionConfig(c)
				c.TrustedPeers = []config.TrustedPeer{{Name: "raw", Address: "127.0.0.2"}}
			}, pbxtest.Options{})
			ps := registered(ctx, t, in.Target(), phone.Config{}, "1002", "1003")
			pc, err := net.ListenPacket("udp", "127.0.0.2:0")
			if err != nil {
				t.Fatal(err)
			}
			a := newUA(t, in.UDP, "1001", testua.WithPacketConn(pc)) // A: a trusted peer's caller 1001
			tx, err := a.Start(a.NewInvite("1002", a.Offer()))
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := tx.Final(ctx); err != nil || ok.StatusCode != 200 {
				t.Fatalf("A's INVITE answered %v, %v", ok, err)
			}
			b := ps["1002"].nextIncoming(ctx, t)
			c, err := ps["1003"].Dial(ctx, "*89*1001#")
			if err != nil {
				t.Fatal(err)
			}
			// the PBX has C's INVITE when C has its 100 Trying; the ACK
			// comes later still
			for len(c.Provisional()) == 0 && c.Code() == 0 {
				select {
				case <-ctx.Done():
					t.Fatal("no answer to C's INVITE")
				case <-time.After(5 * time.Millisecond):
				}
			}
			if tc.ack {
				time.Sleep(50 * time.Millisecond)
				if _, err := tx.Ack(nil); err != nil {
					t.Fatal(err)
				}
			}
			if tc.want == 200 {
				if err := c.WaitAnswer(ctx); err != nil {
					t.Fatalf("intervention: %v (code %d)", err, c.Code())
				}
				if err := hearsMusic(ctx, b); err != nil {
					t.Errorf("B does not hear the music: %v", err)
				}
				if err := c.Hangup(ctx); err != nil {
					t.Fatal(err)
				}
				return
			}
			if end, err := c.Wait(ctx); err != nil || end.Code != tc.want {
				t.Errorf("intervention ended %+v, %v; want %d", end, err, tc.want)
			}
			if b.State() != phone.Answered {
				t.Errorf("B's call is %v after the refusal", b.State())
			}
			if _, err := tx.Ack(nil); err != nil { // late, within 64*T1: the call goes on
				t.Fatal(err)
			}
			if res, err := tx.Dialog().Bye(ctx); err != nil || res.StatusCode != 200 {
				t.Errorf("A's BYE answered %v, %v", res, err)
			}
			if end, err := b.Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
				t.Errorf("B ended %+v, %v; want A's BYE relayed", end, err)
			}
		})
	}
}
