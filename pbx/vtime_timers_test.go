package pbx_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// timersConfig is the demo configuration with subscriber 1001 refreshed
// by the PBX every 45 s (subscribers[].session_timers) and an outbound
// peer at 10.0.0.50 that wants 120 s sessions (peers[].session_timers),
// reached as subscriber 2000's static contact.
func timersConfig() *config.Config {
	cfg := config.Demo()
	cfg.SubscriberRanges = []config.SubscriberRange{{From: "1000", To: "1000", Password: "demo{n}"}}
	cfg.ExplicitSubscribers = []config.Subscriber{
		{Number: "1001", Password: "demo1001", SessionTimers: config.SessionTimers{Expires: 90 * time.Second, Refresher: config.RefresherPBX}},
		{Number: "2000", Contacts: []string{"sip:2000@10.0.0.50:5060"}},
	}
	cfg.Peers = []config.Peer{{Name: "carrier", Host: "10.0.0.50", SessionTimers: config.SessionTimers{Expires: 120 * time.Second, MinSE: 120 * time.Second}}}
	return cfg
}

// TestVirtualSessionTimerSubscriber: the PBX refreshes the leg to 1001 (its
// session_timers: 90 s, refresher pbx) at 45 s and 90 s, the simulated
// phone answers both, and the caller's leg, whose settings ask for no
// timer, has none: the call stays up until the caller hangs up.
func TestVirtualSessionTimerSubscriber(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		h := startVirtual(t, timersConfig())
		a := h.Phone("1000")
		b := h.Phone("1001")
		out, err := a.Dial(ctx, "1001")
		if err != nil {
			t.Fatal(err)
		}
		if err := out.WaitAnswer(ctx); err != nil {
			t.Fatal(err)
		}
		in, err := b.NextIncoming(ctx)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Second)
		synctest.Wait()
		if i, self := in.Session(); i != 90*time.Second || self {
			t.Errorf("callee's session %s (refresher itself: %v), want 90 s refreshed by the PBX", i, self)
		}
		if _, got := in.Refreshes(); got != 2 {
			t.Errorf("callee answered %d refreshes in 100 s, want 2 (at 45 and 90 s)", got)
		}
		if i, _ := out.Session(); i != 0 {
			t.Errorf("caller's leg has a %s session, want none", i)
		}
		if out.State() != phone.Answered || in.State() != phone.Answered {
			t.Fatalf("call %s/%s, want it up", out.State(), in.State())
		}
		if err := out.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		if end, err := in.Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
			t.Errorf("callee's end %+v, %v", end, err)
		}
	})
}

// TestVirtualSessionTimerPeer: the INVITE to an outbound peer carries the
// peer's session_timers (Session-Expires 120, Min-SE 120); the peer takes
// the refresher role and never refreshes, so after 120 - 32 = 88 s the PBX
// BYEs both legs and the CDR says the session timer expired.
func TestVirtualSessionTimerPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		h := startVirtual(t, timersConfig())
		carrier, err := testua.New(testua.Config{Transport: "udp", PBX: h.Addr, User: "2000"}, testua.WithPacketConn(h.Listen("10.0.0.50:5060")))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { synctest.Wait(); _ = carrier.Close() })
		carrier.SetAuto(testua.DefaultAuto &^ testua.AutoOther)
		a := h.Phone("1000")
		out, err := a.Dial(ctx, "2000")
		if err != nil {
			t.Fatal(err)
		}
		inv, err := carrier.AwaitIncoming(ctx, testua.Method(sip.INVITE))
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]string{"Session-Expires": "120", "Min-SE": "120", "Supported": "100rel, timer"} {
			if h := inv.Request().GetHeader(name); h == nil || h.Value() != want {
				t.Errorf("INVITE to the peer: %s %v, want %q", name, h, want)
			}
		}
		answer, err := carrier.Answer(inv.Request().Body())
		if err != nil {
			t.Fatal(err)
		}
		ok := inv.NewResponse(200, "OK")
		testua.SetBody(ok, "application/sdp", answer)
		ok.AppendHeader(sip.NewHeader("Session-Expires", "120;refresher=uas"))
		ok.AppendHeader(sip.NewHeader("Require", "timer"))
		if err := inv.Respond(ok); err != nil {
			t.Fatal(err)
		}
		if _, err := inv.AwaitAck(ctx); err != nil {
			t.Fatal(err)
		}
		answered := time.Now()
		bye, err := carrier.AwaitIncoming(ctx, testua.Method(sip.BYE))
		if err != nil {
			t.Fatal(err)
		}
		if d := bye.Record().At.Sub(answered); d < 88*time.Second-10*time.Millisecond || d > 88*time.Second+10*time.Millisecond {
			t.Errorf("BYE to the peer %s after its 200, want 88 s (120 - 32)", d)
		}
		_ = bye.Reply(200, "OK")
		if end, err := out.Wait(ctx); err != nil || end.By != phone.Remote || end.Reason != phone.ReasonBye {
			t.Errorf("caller's end %+v, %v: want a BYE from the PBX", end, err)
		}
		synctest.Wait()
		recs, err := h.PBX.ListCDRs(ctx, pbx.CDRFilter{})
		if err != nil || len(recs) != 1 || !strings.HasPrefix(recs[0].Reason, "session timer expired (leg b1") {
			t.Errorf("CDRs %+v, %v: want one ended by the peer leg's session timer", recs, err)
		}
	})
}
