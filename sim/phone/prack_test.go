package phone

import (
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"pbxlab/internal/memnet"
)

// TestRel100DirectCall: two phones doing 100rel call each other directly:
// the callee's 183 with SDP goes reliably and the caller PRACKs it once;
// the callee answers after its ring delay, once the PRACK came; a caller
// without 100rel gets the same 183 unreliably and sends no PRACK.
func TestRel100DirectCall(t *testing.T) {
	for _, tc := range []struct {
		name     string
		caller   Rel100
		reliable []int
		pracks   int
	}{
		{"supported", Rel100Supported, []int{183}, 1},
		{"required", Rel100Required, []int{183}, 1},
		{"off", Rel100Off, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := t.Context()
				nw := memnet.New()
				a := newTestPhone(t, virtualAgent(t, nw, "10.0.0.1"), PhoneConfig{Number: "1000", Rel100: tc.caller})
				b := newTestPhone(t, virtualAgent(t, nw, "10.0.0.2"), PhoneConfig{Number: "1001", Rel100: Rel100Supported,
					Answer: AnswerMode{Behaviour: Answer, Delay: 3 * time.Second, EarlyMedia: true}})
				inc := make(chan *Call, 1)
				b.cfg.OnIncoming = func(c *Call) { inc <- c }
				out, err := a.DialURI(ctx, b.Contact())
				if err != nil {
					t.Fatal(err)
				}
				if err := out.WaitAnswer(ctx); err != nil {
					t.Fatalf("WaitAnswer: %v", err)
				}
				in := incoming(t, ctx, inc)
				if got := out.ReliableProvisional(); !slices.Equal(got, tc.reliable) {
					t.Errorf("caller got %v reliably, want %v", got, tc.reliable)
				}
				if !out.EarlyMedia() {
					t.Errorf("caller saw no early media")
				}
				synctest.Wait() // the PRACK's 200 is in
				if out.PRACKs() != tc.pracks || in.PRACKs() != tc.pracks || out.PRACKsAnswered() != tc.pracks {
					t.Errorf("PRACKs sent %d, received %d, answered 2xx %d; want %d", out.PRACKs(), in.PRACKs(), out.PRACKsAnswered(), tc.pracks)
				}
				if err := out.Hangup(ctx); err != nil {
					t.Fatalf("hangup after PRACK (BYE CSeq past the PRACK's): %v", err)
				}
				synctest.Wait()
			})
		})
	}
}

// TestEarlyUpdateDirect: a caller whose call rings with a reliable 183
// sends an UPDATE in that early dialog, which the called phone answers
// 200 before answering the call; once answered there is no early dialog
// to update.
func TestEarlyUpdateDirect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		nw := memnet.New()
		a := newTestPhone(t, virtualAgent(t, nw, "10.0.0.1"), PhoneConfig{Number: "1000", Rel100: Rel100Supported})
		b := newTestPhone(t, virtualAgent(t, nw, "10.0.0.2"), PhoneConfig{Number: "1001", Rel100: Rel100Supported,
			Answer: AnswerMode{Behaviour: Answer, Delay: 3 * time.Second, EarlyMedia: true}})
		out, err := a.DialURI(ctx, b.Contact())
		if err != nil {
			t.Fatal(err)
		}
		if err := out.WaitRinging(ctx); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		code, err := out.EarlyUpdate(ctx)
		if err != nil || code != 200 {
			t.Fatalf("early UPDATE: %d, %v; want 200", code, err)
		}
		if err := out.WaitAnswer(ctx); err != nil {
			t.Fatalf("WaitAnswer: %v", err)
		}
		if _, err := out.EarlyUpdate(ctx); !errors.Is(err, ErrCallState) {
			t.Errorf("EarlyUpdate on an answered call: %v, want ErrCallState", err)
		}
		if err := out.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
	})
}
