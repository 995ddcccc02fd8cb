package pbx_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"pbxlab/internal/dialoginfo"
	"pbxlab/internal/leakcheck"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/services/presence"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// The busy lamp field (RFC 4235): 1003 watches 1002's line while 1001
// calls it: idle, ringing (early, recipient), talking (confirmed), idle;
// the caller's own line shows trying then confirmed (initiator); the
// version counts the NOTIFYs; un-subscribing ends with a terminated
// NOTIFY. Refusals: an unknown extension 404, an unknown event 489, a
// watcher the watched line's list lacks 403, presence switched off 403.
func TestPresenceBLF(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	in := startPBX(t, func(c *config.Config) {
		c.Services.Presence = presence.Config{Watchers: map[string][]string{"1004": {"1001"}}}
		c.Services.Switches.Subscribers = map[string]map[string]config.Switch{"1005": {"presence": config.SwitchOff}}
	}, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1001", "1002", "1003", "1004", "1005")

	blf, err := ps["1003"].Watch(ctx, "1002", 600*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	caller, err := ps["1003"].Watch(ctx, "1001", 600*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if blf.Expires() != 600*time.Second {
		t.Errorf("granted %s, want 600s", blf.Expires())
	}
	first, err := blf.WaitLine(ctx, dialoginfo.Terminated, "")
	if err != nil || first.Version != 0 {
		t.Fatalf("first NOTIFY: %+v %v, want idle version 0", first, err)
	}
	ps["1002"].SetAnswer(phone.AnswerMode{Behaviour: phone.Manual})
	c, err := ps["1001"].Dial(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := blf.WaitLine(ctx, dialoginfo.Early, dialoginfo.Recipient); err != nil {
		t.Fatalf("no ringing lamp: %v (%+v)", err, blf.Lines())
	}
	if _, err := caller.WaitLine(ctx, dialoginfo.Trying, dialoginfo.Initiator); err != nil {
		t.Fatalf("caller's lamp: %v (%+v)", err, caller.Lines())
	}
	inc := ps["1002"].nextIncoming(ctx, t)
	if err := inc.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := blf.WaitLine(ctx, dialoginfo.Confirmed, dialoginfo.Recipient); err != nil {
		t.Fatalf("no talking lamp: %v (%+v)", err, blf.Lines())
	}
	if _, err := caller.WaitLine(ctx, dialoginfo.Confirmed, dialoginfo.Initiator); err != nil {
		t.Fatalf("caller's lamp: %v (%+v)", err, caller.Lines())
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	last, err := blf.WaitLine(ctx, dialoginfo.Terminated, "")
	if err != nil {
		t.Fatal(err)
	}
	if ls := blf.Lines(); last.Version == 0 || ls[len(ls)-1].Version != uint32(len(ls)-1) {
		t.Errorf("versions %+v, want 0, 1, 2 ...", ls)
	}
	if err := blf.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := blf.WaitNotify(ctx, phone.Notify.Terminated); err != nil {
		t.Fatalf("no final NOTIFY: %v", err)
	}
	if err := caller.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}

	var se *phone.StatusError
	for _, tc := range []struct {
		watcher, watched, event string
		code                    int
	}{
		{"1003", "1999", dialoginfo.Event, 404},
		{"1003", "1002", "presence.winfo", 489},
		{"1003", "1004", dialoginfo.Event, 403},
		{"1005", "1002", dialoginfo.Event, 403},
	} {
		if _, err := ps[tc.watcher].SubscribeTo(ctx, tc.event, tc.watched, time.Minute); !errors.As(err, &se) || se.Code != tc.code {
			t.Errorf("%s subscribing to %s of %s: %v, want %d", tc.watcher, tc.event, tc.watched, err, tc.code)
		}
	}
	allowed, err := ps["1001"].Watch(ctx, "1004", time.Minute)
	if err != nil {
		t.Fatalf("1001 on 1004's list: %v", err)
	}
	if err := allowed.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := allowed.WaitNotify(ctx, phone.Notify.Terminated); err != nil {
		t.Fatal(err)
	}
	if n := in.Subscriptions(); n != 0 {
		t.Errorf("%d subscriptions left, want 0", n)
	}
}
