package pbx_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/services/dnd"
	"pbxlab/pbx/internal/services/forward"
	"pbxlab/pbx/internal/services/hunt"
	"pbxlab/pbx/internal/services/waiting"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// waitingConfig: call waiting is on by default; 1002 and 1004 have it off
// by configuration, 1004 forwards on busy to 1003; 1005 has DND on. Hunt
// group 2001 rings 1005, 1002, 1003 in turn.
func waitingConfig(path string) func(*config.Config) {
	return func(c *config.Config) {
		plainErrors(c)
		c.Store.Path = path
		c.Media.TonePlan = "us"
		c.Services.Waiting = waiting.Config{Subscribers: map[string]waiting.Setting{"1002": waiting.SettingOff, "1004": waiting.SettingOff}}
		c.Services.Forward = forward.Config{Subscribers: map[string]forward.Forwards{"1004": {Busy: "1003"}}}
		c.Services.DND = dnd.Config{Subscribers: []string{"1005"}}
		c.Services.Hunt = hunt.Config{Groups: []hunt.Group{
			{Name: "seq", Number: "2001", Strategy: hunt.Sequential, Members: []string{"1005", "1002", "1003"}, RingTime: 500 * time.Millisecond},
		}}
	}
}

// inCall: from calls to, to answers; the returned func hangs the call up.
func inCall(ctx context.Context, t *testing.T, ps map[string]*testPhone, from, to string) func() {
	t.Helper()
	c, err := ps[from].Dial(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatalf("%s dials %s: %v (code %d)", from, to, err, c.Code())
	}
	inc := ps[to].nextIncoming(ctx, t)
	return func() {
		t.Helper()
		if err := c.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := inc.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWaiting: a second call to a subscriber in a call rings it when call
// waiting is on, is busy (486) or forwarded on busy when it is off; the
// phone's code beats the configuration and survives a restart; an idle
// subscriber with waiting off rings; a hunt group skips a member in a
// call with waiting off and a member with DND on.
func TestWaiting(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "pbx.db")
	tweak := waitingConfig(path)
	numbers := []string{"1000", "1001", "1002", "1003", "1004", "1005"}
	first := startPBX(t, tweak, pbxtest.Options{})
	ps := registered(ctx, t, first.Target(), phone.Config{}, numbers...)

	t.Run("on by default: the second call rings", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second) // a failing step fails alone
		defer cancel()
		end := inCall(ctx, t, ps, "1000", "1001")
		reachesDiverted(ctx, t, ps, "1002", "1001", "1001")
		end()
	})
	t.Run("off: busy", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second) // a failing step fails alone
		defer cancel()
		end := inCall(ctx, t, ps, "1000", "1002")
		dialFails(ctx, t, ps["1001"], "1002", 486)
		end()
	})
	t.Run("off and idle: rings", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second) // a failing step fails alone
		defer cancel()
		reachesDiverted(ctx, t, ps, "1000", "1002", "1002")
	})
	t.Run("off: forward on busy", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second) // a failing step fails alone
		defer cancel()
		end := inCall(ctx, t, ps, "1000", "1004")
		reachesDiverted(ctx, t, ps, "1001", "1004", "1003", "1004;user-busy")
		end()
	})
	t.Run("the caller of a call is in a call", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second) // a failing step fails alone
		defer cancel()
		end := inCall(ctx, t, ps, "1002", "1000")
		dialFails(ctx, t, ps["1001"], "1002", 486)
		end()
	})
	t.Run("hunt group skips DND and busy without waiting", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second) // a failing step fails alone
		defer cancel()
		end := inCall(ctx, t, ps, "1000", "1002")
		reachesDiverted(ctx, t, ps, "1001", "2001", "1003")
		end()
		for _, n := range []string{"1002", "1005"} {
			select {
			case c := <-ps[n].in:
				t.Errorf("%s was rung (state %s), want it skipped", n, c.State())
			default:
			}
		}
	})
	dialFails(ctx, t, ps["1002"], "*58*1#", 484) // a malformed code
	t.Run("a phone answering 486 itself is busy, waiting on or not", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second) // a failing step fails alone
		defer cancel()
		ps["1003"].SetAnswer(phone.AnswerMode{Behaviour: phone.Busy})
		dialFails(ctx, t, ps["1000"], "1003", 486)
	})
	confirmCode(ctx, t, ps["1002"], "*58%23") // the phone beats the configuration
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := startPBX(t, tweak, pbxtest.Options{})
	ps = registered(ctx, t, second.Target(), phone.Config{}, numbers...)
	t.Run("on by the phone, after a restart", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second) // a failing step fails alone
		defer cancel()
		end := inCall(ctx, t, ps, "1000", "1002")
		reachesDiverted(ctx, t, ps, "1001", "1002", "1002")
		end()
	})
	confirmCode(ctx, t, ps["1001"], "#58#")
	t.Run("off by the phone", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second) // a failing step fails alone
		defer cancel()
		end := inCall(ctx, t, ps, "1000", "1001")
		dialFails(ctx, t, ps["1002"], "1001", 486)
		end()
	})
}
