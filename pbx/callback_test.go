package pbx_test

import (
	"context"
	"testing"
	"time"

	"pbxlab/internal/leakcheck"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/services/waiting"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// callbackConfig: 1001 has call waiting off, so a second call finds it
// busy.
func callbackConfig(c *config.Config) {
	c.Services.Waiting = waiting.Config{Subscribers: map[string]waiting.Setting{"1001": waiting.SettingOff}}
}

// dialCode dials a feature code and waits for the confirmation (the PBX
// answers, plays the tone, hangs up) or the refusal; it returns the
// status (200 for a confirmation).
func dialCode(ctx context.Context, t *testing.T, p *testPhone, code string) int {
	t.Helper()
	c, err := p.Dial(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		return c.Code()
	}
	if end, err := c.Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
		t.Errorf("%s: end %+v, %v; want the PBX's BYE after the tone", code, end, err)
	}
	return 200
}

// TestCallbackOnBusy: 1000 finds 1001 busy (talking to 1002), dials *37#;
// when 1001 hangs up the PBX calls 1000 showing 1001, then 1001 showing
// 1000, and the two talk. Over both media paths.
func TestCallbackOnBusy(t *testing.T) {
	for _, an := range anchors {
		t.Run(an.name, func(t *testing.T) {
			callbackOnBusy(t, func(c *config.Config) { an.set(c); callbackConfig(c) })
		})
	}
}

func callbackOnBusy(t *testing.T, tweak func(*config.Config)) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	in := startPBX(t, tweak, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1002")
	if got := dialCode(ctx, t, ps["1000"], "*37#"); got != 404 {
		t.Errorf("*37# before any busy: %d, want 404", got)
	}
	b, c := talk(ctx, t, ps["1001"], ps["1002"])
	busy, err := ps["1000"].Dial(ctx, "1001")
	if err != nil {
		t.Fatal(err)
	}
	if err := busy.WaitAnswer(ctx); err == nil || busy.Code() != 486 {
		t.Fatalf("call to the busy 1001: %v, code %d; want 486", err, busy.Code())
	}
	if got := dialCode(ctx, t, ps["1000"], "*37#"); got != 200 {
		t.Fatalf("*37#: %d, want the confirmation", got)
	}
	if err := b.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	a := ps["1000"].nextIncoming(ctx, t)
	if a.Remote() != "1001" {
		t.Errorf("the callback shows %q, want 1001", a.Remote())
	}
	b2 := ps["1001"].nextIncoming(ctx, t)
	if b2.Remote() != "1000" {
		t.Errorf("1001 sees %q calling, want 1000", b2.Remote())
	}
	a.ExpectIdentity(phone.IdentityFor("1001"))
	b2.ExpectIdentity(phone.IdentityFor("1000"))
	actx, acancel := context.WithTimeout(ctx, 10*time.Second)
	defer acancel()
	if _, err := a.TwoWayAudio(actx); err != nil {
		t.Errorf("1000 does not hear 1001: %v", err)
	}
	if _, err := b2.TwoWayAudio(actx); err != nil {
		t.Errorf("1001 does not hear 1000: %v", err)
	}
	if err := a.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if end, err := b2.Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
		t.Errorf("1001's end %+v, %v", end, err)
	}
	if got := dialCode(ctx, t, ps["1000"], "#37#"); got != 404 {
		t.Errorf("#37# after the callback: %d, want 404 (nothing pending)", got)
	}
}
