package pbx_test

import (
	"context"
	"testing"
	"time"

	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/services/callback"
	"pbxlab/pbx/internal/services/waiting"
	"pbxlab/pbx/pbxtest/vnet"
	"pbxlab/sim/phone"
)

// TestVirtualCallbackTimeout: a request older than
// services.callback.timeout is dropped (#37# then finds nothing to
// cancel: 404); before the timeout it is still there (#37# confirms).
func TestVirtualCallbackTimeout(t *testing.T) {
	// It once stalled about one run in four: a phone closing at cleanup
	// (no settle) read the PBX's BYE as its socket closed, and sipgo,
	// finding that socket gone from its pool, opened a kernel UDP socket to
	// answer it, whose read is not durably blocked. sim/phone's Agent.Close
	// now silences its socket first (quietConn; TestCloseOpensNoSocketForALateRequest).
	for _, tc := range []struct {
		name string
		wait time.Duration
		want int // #37# after the wait
	}{
		{"before", 9 * time.Minute, 200},
		{"after", 11 * time.Minute, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			virtual(t, func(t *testing.T) {
				ctx := t.Context()
				cfg := config.Demo()
				cfg.Services.Callback = callback.Config{Timeout: 10 * time.Minute}
				cfg.Services.Waiting = waiting.Config{Subscribers: map[string]waiting.Setting{"1001": waiting.SettingOff}}
				h := vnet.Start(t, cfg)
				a, b := h.Phone("1000"), h.Phone("1001")
				h.Phone("1002")
				talkTo, err := b.Dial(ctx, "1002")
				if err != nil {
					t.Fatal(err)
				}
				if err := talkTo.WaitAnswer(ctx); err != nil {
					t.Fatal(err)
				}
				busy, err := a.Dial(ctx, "1001")
				if err != nil {
					t.Fatal(err)
				}
				if err := busy.WaitAnswer(ctx); err == nil || busy.Code() != 486 {
					t.Fatalf("call to the busy 1001: %v, code %d", err, busy.Code())
				}
				if got := vcode(ctx, t, a, "*37#"); got != 200 {
					t.Fatalf("*37#: %d", got)
				}
				time.Sleep(tc.wait)
				if got := vcode(ctx, t, a, "#37#"); got != tc.want {
					t.Errorf("#37# after %v: %d, want %d", tc.wait, got, tc.want)
				}
				if err := talkTo.Hangup(ctx); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// vcode dials a feature code: 200 when the PBX confirmed it, else the
// refusal's status.
func vcode(ctx context.Context, t *testing.T, p *vnet.Phone, code string) int {
	t.Helper()
	c, err := p.Dial(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		return c.Code()
	}
	if end, err := c.Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
		t.Errorf("%s: %+v, %v", code, end, err)
	}
	return 200
}
