package pbx_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"pbxlab/internal/mwi"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// MWI (RFC 3842 over RFC 6665): 2001 subscribes to its mailbox's
// message-summary; a deposit brings a NOTIFY saying 1 new message; the
// subscription is refreshed and ended with Expires 0.

func voice(newN, oldN int) func(phone.Notify) bool {
	return func(n phone.Notify) bool {
		return n.SummaryErr == nil && n.Summary.HasVoice && n.Summary.Voice.New == newN && n.Summary.Voice.Old == oldN &&
			n.Summary.Waiting == (newN > 0)
	}
}

func TestMWISubscribeNotifyAfterDeposit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	in := startPBX(t, withVoicemail, pbxtest.Options{})
	ps := registered(ctx, t, in.UDP.String(), phone.Config{}, "2000", "2001")
	sub, err := ps["2001"].SubscribeFor(ctx, mwi.Event, 600*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Expires() != 600*time.Second {
		t.Errorf("granted %s, want 600s", sub.Expires())
	}
	first, err := sub.WaitNotify(ctx, func(phone.Notify) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	if !voice(0, 0)(first) || first.State == "" || first.Terminated() {
		t.Errorf("first NOTIFY %+v (%q), want an active one with no message", first.Summary, first.State)
	}
	ps["2001"].SetAnswer(phone.AnswerMode{Behaviour: phone.Busy})
	leaveMessage(ctx, t, ps["2000"], "2001")
	if _, err := sub.WaitNotify(ctx, voice(1, 0)); err != nil {
		t.Fatalf("no NOTIFY with 1 new message: %v (got %+v)", err, sub.Notifies())
	}
	if err := sub.Refresh(ctx, 300*time.Second); err != nil || sub.Expires() != 300*time.Second {
		t.Fatalf("refresh: %v, granted %s", err, sub.Expires())
	}
	if err := sub.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.WaitNotify(ctx, phone.Notify.Terminated); err != nil {
		t.Fatalf("no terminating NOTIFY: %v", err)
	}
	if n := in.Subscriptions(); n != 0 {
		t.Errorf("%d subscriptions left, want 0", n)
	}
}

// TestMWIRefusals: a phone may watch only its own mailbox; a number
// without one is 404; an unknown event package is 489.
func TestMWIRefusals(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	in := startPBX(t, withVoicemail, pbxtest.Options{})
	ps := registered(ctx, t, in.UDP.String(), phone.Config{}, "2002")
	var se *phone.StatusError
	if _, err := ps["2002"].Subscribe(ctx, mwi.Event); !errors.As(err, &se) || se.Code != 404 {
		t.Errorf("2002 (no mailbox) subscribing: %v, want 404", err)
	}
	if _, err := ps["2002"].Subscribe(ctx, "presence"); !errors.As(err, &se) || se.Code != 489 {
		t.Errorf("presence: %v, want 489", err)
	}
	if in.Subscriptions() != 0 {
		t.Errorf("%d subscriptions, want 0", in.Subscriptions())
	}
}

// TestMWISubscriptionExpires: a subscription not refreshed ends with a
// NOTIFY terminated;reason=timeout.
func TestMWISubscriptionExpires(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	in := startPBX(t, withVoicemail, pbxtest.Options{})
	ps := registered(ctx, t, in.UDP.String(), phone.Config{}, "2001")
	sub, err := ps["2001"].SubscribeFor(ctx, mwi.Event, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	n, err := sub.WaitNotify(ctx, phone.Notify.Terminated)
	if err != nil {
		t.Fatal(err)
	}
	if n.State != "terminated;reason=timeout" {
		t.Errorf("final state %q", n.State)
	}
}

// TestMWIUnsolicited: with voicemail.mwi_unsolicited, the registered
// phone gets a NOTIFY without subscribing when a message arrives.
func TestMWIUnsolicited(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	in := startPBX(t, func(c *config.Config) { withVoicemail(c); c.Voicemail.MWIUnsolicited = true }, pbxtest.Options{})
	ps := registered(ctx, t, in.UDP.String(), phone.Config{}, "2000", "2001")
	ps["2001"].SetAnswer(phone.AnswerMode{Behaviour: phone.Busy})
	if got := ps["2001"].UnsolicitedNotifies(mwi.Event); len(got) != 0 {
		t.Fatalf("NOTIFY before any message: %+v", got)
	}
	leaveMessage(ctx, t, ps["2000"], "2001")
	if _, err := ps["2001"].WaitUnsolicited(ctx, mwi.Event, voice(1, 0)); err != nil {
		t.Fatal(err)
	}
	if got := ps["2000"].UnsolicitedNotifies(mwi.Event); len(got) != 0 {
		t.Errorf("2000 (not the mailbox) got MWI: %+v", got)
	}
}
