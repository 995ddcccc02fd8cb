package pbx_test

import (
	"context"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest/vnet"
	"pbxlab/sim/phone"
)

// Group notification and wake-up alarms in virtual time: the PBX places
// the calls itself at a time of day and retries unanswered ones on its
// clock; a synctest bubble starts at 2000-01-01 00:00 UTC, so hours of
// schedule pass in milliseconds.

// countCalls drains p's incoming calls: how many reached it.
func countCalls(p *vnet.Phone) int {
	n := 0
	for {
		select {
		case <-p.Incoming():
			n++
		default:
			return n
		}
	}
}

// TestVirtualNotificationTries: at 00:10 every receiver rings; one who
// answers hears the file and the PBX hangs up after it (received, one
// call); one who hangs up during the playback counts as received too; one
// who never answers is called again every retry interval, exactly 10
// times (the manual's at most 10), then no more.
func TestVirtualNotificationTries(t *testing.T) {
	virtual(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 24*time.Hour)
		defer cancel()
		cfg := config.Demo()
		cfg.Services.Notification = config.NotificationConfig{TimeZone: "UTC", Ring: 20 * time.Second,
			Notifications: []config.Notification{{Name: "drill", Media: "goodbye", Receivers: []string{"1001", "1002", "1003"},
				At: "00:10", AccessCode: "*71", RetryInterval: 5 * time.Minute}}}
		h := vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait), vnet.WithMedia())
		listener := h.Phone("1001")
		absent := h.Phone("1002", vnet.Answer(phone.AnswerMode{Behaviour: phone.NoAnswer}))
		quitter := h.Phone("1003")
		time.Sleep(10*time.Minute + time.Second)
		c, err := listener.NextIncoming(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.Remote() != "*71" {
			t.Errorf("notification call from %q, want the access code *71", c.Remote())
		}
		if end, err := c.Wait(ctx); err != nil || end.By != phone.Remote {
			t.Fatalf("the PBX did not hang up after the file: %+v %v", end, err)
		}
		q, err := quitter.NextIncoming(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		if n := countCalls(absent); n != 10 {
			t.Errorf("receiver who never answers was called %d times, want 10", n)
		}
		if n := countCalls(listener) + countCalls(quitter); n != 0 {
			t.Errorf("%d more calls to receivers who had it", n)
		}
		st := h.PBX.NotificationStatus("drill")
		if r := st["1001"]; !r.Received || r.Tries != 1 {
			t.Errorf("1001 %+v, want received at the first try", r)
		}
		if r := st["1003"]; !r.Received || r.Tries != 1 {
			t.Errorf("1003 (hung up during the file) %+v, want received", r)
		}
		if r := st["1002"]; r.Received || r.Pending || r.Tries != 10 {
			t.Errorf("1002 %+v, want 10 tries, not received, over", r)
		}
		// every call the PBX placed is recorded: caller the access code
		byCallee := map[string][]pbx.Disposition{}
		for _, r := range cdrsOf(t, h) {
			if r.Caller != "*71" {
				t.Errorf("CDR caller %q, want *71", r.Caller)
			}
			byCallee[r.Callee] = append(byCallee[r.Callee], r.Disposition)
		}
		for callee, want := range map[string]int{"1001": 1, "1002": 10, "1003": 1} {
			if got := len(byCallee[callee]); got != want {
				t.Errorf("%d CDRs of calls to %s, want %d", got, callee, want)
			}
		}
		for _, d := range byCallee["1002"] {
			if d != pbx.NoAnswer {
				t.Errorf("unanswered notification call recorded %v, want NO ANSWER", d)
			}
		}
		if d := byCallee["1001"]; len(d) == 1 && d[0] != pbx.Answered {
			t.Errorf("answered notification call recorded %v", d[0])
		}
	})
}

// TestVirtualNotificationAccessCode: a receiver replays the file with the
// access code (answered, the PBX hangs up after the file); a subscriber
// who is no receiver gets 403; with a time past, nothing rings.
func TestVirtualNotificationAccessCode(t *testing.T) {
	virtual(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		cfg := config.Demo()
		cfg.Services.Notification = config.NotificationConfig{TimeZone: "UTC",
			Notifications: []config.Notification{{Name: "drill", Media: "goodbye", Receivers: []string{"1001"},
				At: "23:00", Date: "1999-12-31", AccessCode: "*71"}}}
		h := vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait), vnet.WithMedia())
		rcv, other := h.Phone("1001"), h.Phone("1002")
		c, err := rcv.Dial(ctx, "*71")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitAnswer(ctx); err != nil {
			t.Fatalf("access code: %v (%d)", err, c.Code())
		}
		if end, err := c.Wait(ctx); err != nil || end.By != phone.Remote {
			t.Fatalf("the PBX did not hang up after the file: %+v %v", end, err)
		}
		o, err := other.Dial(ctx, "*71")
		if err != nil {
			t.Fatal(err)
		}
		if err := o.WaitAnswer(ctx); err == nil || o.Code() != 403 {
			t.Errorf("access code from a non-receiver: %v (%d), want 403", err, o.Code())
		}
		time.Sleep(48 * time.Hour)
		if h.PBX.NotificationStatus("drill") != nil {
			t.Error("a notification dated in the past was delivered")
		}
	})
}

// TestVirtualWakeup: *55*0007# sets the alarm (answered: the
// confirmation), *55*2561# is refused (484); at 00:07 the PBX calls; not
// answered, it tries 3 more times 5 minutes apart, then the alarm is over.
func TestVirtualWakeup(t *testing.T) {
	virtual(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 24*time.Hour)
		defer cancel()
		cfg := config.Demo()
		cfg.Services.Wakeup = config.WakeupConfig{TimeZone: "UTC"}
		h := vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait), vnet.WithMedia())
		sleeper := h.Phone("1001", vnet.Answer(phone.AnswerMode{Behaviour: phone.NoAnswer}))
		bad, err := sleeper.Dial(ctx, "*55*2561#")
		if err != nil {
			t.Fatal(err)
		}
		if err := bad.WaitAnswer(ctx); err == nil || bad.Code() != 484 {
			t.Errorf("*55*2561#: %v (%d), want 484", err, bad.Code())
		}
		set, err := sleeper.Dial(ctx, "*55*0007#")
		if err != nil {
			t.Fatal(err)
		}
		if err := set.WaitAnswer(ctx); err != nil {
			t.Fatalf("*55*0007#: %v (%d)", err, set.Code())
		}
		_, _ = set.Wait(ctx)
		if got := h.PBX.WakeupAlarms()["1001"]; got != "0007" {
			t.Fatalf("alarm %q, want 0007", got)
		}
		time.Sleep(7*time.Minute + time.Second)
		synctest.Wait()
		if n := countCalls(sleeper); n != 1 {
			t.Fatalf("%d calls at 00:07, want 1", n)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		if n := countCalls(sleeper); n != 3 {
			t.Errorf("%d retries, want 3", n)
		}
		if len(h.PBX.WakeupAlarms()) != 0 {
			t.Errorf("alarms left after the tries: %v", h.PBX.WakeupAlarms())
		}
	})
}

// TestVirtualWakeupAnswered: an answered alarm rings once, the PBX hangs
// up after the announcement, and #55# cancels an alarm before it rings.
func TestVirtualWakeupAnswered(t *testing.T) {
	virtual(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 24*time.Hour)
		defer cancel()
		cfg := config.Demo()
		cfg.Services.Wakeup = config.WakeupConfig{TimeZone: "UTC"}
		h := vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait), vnet.WithMedia())
		a, b := h.Phone("1001"), h.Phone("1002")
		for _, d := range []struct {
			p    *vnet.Phone
			code string
		}{{a, "*55*0030#"}, {b, "*55*0030#"}, {b, "#55#"}} {
			c, err := d.p.Dial(ctx, d.code)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.WaitAnswer(ctx); err != nil {
				t.Fatalf("%s: %v (%d)", d.code, err, c.Code())
			}
			_, _ = c.Wait(ctx)
		}
		time.Sleep(30*time.Minute + time.Second)
		c, err := a.NextIncoming(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if end, err := c.Wait(ctx); err != nil || end.By != phone.Remote {
			t.Fatalf("the PBX did not hang up after the announcement: %+v %v", end, err)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		if n := countCalls(a) + countCalls(b); n != 0 {
			t.Errorf("%d more calls (retry of an answered alarm, or a cancelled one)", n)
		}
	})
}

// TestVirtualWakeupSurvivesRestart: an alarm set before a restart rings
// after it.
func TestVirtualWakeupSurvivesRestart(t *testing.T) {
	virtual(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 24*time.Hour)
		defer cancel()
		store := filepath.Join(t.TempDir(), "pbx.db")
		cfg := config.Demo()
		cfg.Services.Wakeup = config.WakeupConfig{TimeZone: "UTC"}
		h := vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait), vnet.WithMedia(), vnet.WithStore(store))
		c, err := h.Phone("1001").Dial(ctx, "*55*0100#")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitAnswer(ctx); err != nil {
			t.Fatalf("*55*0100#: %v (%d)", err, c.Code())
		}
		_, _ = c.Wait(ctx)
		h.Stop()
		cfg2 := config.Demo()
		cfg2.Services.Wakeup = config.WakeupConfig{TimeZone: "UTC"}
		h2 := vnet.Start(t, cfg2, vnet.WithSettle(synctest.Wait), vnet.WithMedia(), vnet.WithStore(store))
		p := h2.Phone("1001")
		synctest.Wait()
		if got := h2.PBX.WakeupAlarms()["1001"]; got != "0100" {
			t.Fatalf("after the restart the alarm is %q, want 0100", got)
		}
		time.Sleep(time.Hour)
		if _, err := p.NextIncoming(ctx); err != nil {
			t.Fatalf("no wake-up call after the restart: %v", err)
		}
	})
}

// TestVirtualNotificationRemote: the deliverer dials the access code, is
// answered, and every receiver rings into his call; his hang-up ends
// every receiver's call. Another subscriber's access code is refused.
func TestVirtualNotificationRemote(t *testing.T) {
	virtual(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		cfg := config.Demo()
		cfg.Services.Notification = config.NotificationConfig{TimeZone: "UTC",
			Notifications: []config.Notification{{Name: "live", Mode: "remote", Deliverer: "1000",
				Receivers: []string{"1001", "1002"}, AccessCode: "*72"}}}
		h := vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait), vnet.WithMedia())
		boss, r1, r2 := h.Phone("1000"), h.Phone("1001"), h.Phone("1002")
		c, err := r1.Dial(ctx, "*72")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitAnswer(ctx); err == nil || c.Code() != 403 {
			t.Errorf("a receiver dialling the remote access code: %v (%d), want 403", err, c.Code())
		}
		d, err := boss.Dial(ctx, "*72")
		if err != nil {
			t.Fatal(err)
		}
		if err := d.WaitAnswer(ctx); err != nil {
			t.Fatalf("deliverer: %v (%d)", err, d.Code())
		}
		var got []*phone.Call
		for _, p := range []*vnet.Phone{r1, r2} {
			rc, err := p.NextIncoming(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := rc.WaitAnswer(ctx); err != nil {
				t.Fatal(err)
			}
			got = append(got, rc)
		}
		time.Sleep(time.Minute) // the deliverer speaks
		for _, rc := range got {
			if rc.State() != phone.Answered {
				t.Errorf("receiver %s left before the deliverer: %v", rc.Phone().Number(), rc.State())
			}
		}
		if err := d.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		for _, rc := range got {
			if end, err := rc.Wait(ctx); err != nil || end.By != phone.Remote {
				t.Errorf("receiver %s: %+v %v, want the PBX's BYE", rc.Phone().Number(), end, err)
			}
		}
	})
}

// TestVirtualNotificationRefusals: with the media server off the
// deliverer gets 486 (busy tone); an anonymous caller (a trusted peer,
// no subscriber identity) gets 403.
func TestVirtualNotificationRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		media bool
		trust bool
		want  int
	}{{"media server off", false, false, 486}, {"anonymous caller", true, true, 403}} {
		t.Run(tc.name, func(t *testing.T) {
			virtual(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
				defer cancel()
				cfg := config.Demo()
				if tc.trust {
					cfg = trustingPhones()
				}
				cfg.Media.Enabled = tc.media
				cfg.Services.Notification = config.NotificationConfig{TimeZone: "UTC",
					Notifications: []config.Notification{{Name: "live", Mode: "remote", Deliverer: "1000",
						Receivers: []string{"1001"}, AccessCode: "*72"}}}
				h := vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait), vnet.WithMedia())
				h.Phone("1001")
				d, err := h.Phone("1000").Dial(ctx, "*72")
				if err != nil {
					t.Fatal(err)
				}
				if err := d.WaitAnswer(ctx); err == nil || d.Code() != tc.want {
					t.Errorf("deliverer: %v (%d), want %d", err, d.Code(), tc.want)
				}
			})
		})
	}
}
