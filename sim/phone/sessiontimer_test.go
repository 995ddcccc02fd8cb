package phone

import (
	"testing"
	"testing/synctest"
	"time"

	"pbxlab/internal/memnet"
)

// TestSessionTimerRefresh: a phone asking for a 90 s session it refreshes
// (refresher=uac) by UPDATE refreshes at 45 s and 90 s; the callee answers
// each, and both agree on the interval and the refresher. With
// refresher=uas the callee refreshes, by re-INVITE with its SDP unchanged.
func TestSessionTimerRefresh(t *testing.T) {
	for _, tc := range []struct {
		name       string
		st         SessionTimer
		callerSent bool // the caller refreshes, else the callee
	}{
		{"caller refreshes by UPDATE", SessionTimer{Expires: 90 * time.Second, MinSE: 90 * time.Second, Refresher: "uac", UseUpdate: true}, true},
		{"callee refreshes by re-INVITE", SessionTimer{Expires: 90 * time.Second, Refresher: "uas"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := t.Context()
				nw := memnet.New()
				a := newTestPhone(t, virtualAgent(t, nw, "10.0.0.1"), PhoneConfig{Number: "1000", SessionTimer: tc.st})
				b, inc := callee(t, virtualAgent(t, nw, "10.0.0.2"), "1001", AnswerMode{Behaviour: Answer})
				out, err := a.DialURI(ctx, b.Contact())
				if err != nil {
					t.Fatal(err)
				}
				if err := out.WaitAnswer(ctx); err != nil {
					t.Fatal(err)
				}
				in := incoming(t, ctx, inc)
				time.Sleep(100 * time.Second)
				synctest.Wait()
				for _, c := range []*Call{out, in} {
					i, we := c.Session()
					wantWe := (c == out) == tc.callerSent
					if i != 90*time.Second || we != wantWe {
						t.Errorf("%s: session %s, refresher %v; want 90s, %v", c.Direction(), i, we, wantWe)
					}
				}
				refresher, other := out, in
				if !tc.callerSent {
					refresher, other = in, out
				}
				if sent, _ := refresher.Refreshes(); sent != 2 {
					t.Errorf("refresher sent %d accepted refreshes in 100 s, want 2 (at 45 and 90 s)", sent)
				}
				if _, got := other.Refreshes(); got != 2 {
					t.Errorf("far end answered %d refreshes, want 2", got)
				}
				if out.State() != Answered || in.State() != Answered {
					t.Errorf("states %s/%s, want the call up", out.State(), in.State())
				}
				if err := out.Hangup(ctx); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}
