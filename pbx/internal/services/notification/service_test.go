package notification

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

func TestConfigCheck(t *testing.T) {
	ok := Notification{Name: "n", Media: "m", Receivers: []string{"1001"}, At: "08:00"}
	with := func(f func(*Notification)) Config {
		n := ok
		n.Receivers = append([]string(nil), ok.Receivers...)
		f(&n)
		return Config{Notifications: []Notification{n}}
	}
	for _, tc := range []struct {
		name  string
		cfg   Config
		field string
	}{
		{"zero", Config{}, ""},
		{"local", with(func(*Notification) {}), ""},
		{"remote", with(func(n *Notification) {
			n.Mode, n.Media, n.At, n.AccessCode, n.Deliverer = Remote, "", "", "*72", "1000"
		}), ""},
		{"no name", with(func(n *Notification) { n.Name = "" }), "notifications[0].name"},
		{"no receivers", with(func(n *Notification) { n.Receivers = nil }), "notifications[0].receivers"},
		{"receiver twice", with(func(n *Notification) { n.Receivers = []string{"1001", "1001"} }), "notifications[0].receivers[1]"},
		{"no media", with(func(n *Notification) { n.Media = "" }), "notifications[0].media"},
		{"bad time", with(func(n *Notification) { n.At = "25:00" }), "notifications[0].at"},
		{"bad date", with(func(n *Notification) { n.Date = "2026-13-01" }), "notifications[0].date"},
		{"bad mode", with(func(n *Notification) { n.Mode = "loud" }), "notifications[0].mode"},
		{"11 tries", with(func(n *Notification) { n.MaxTries = 11 }), "notifications[0].max_tries"},
		{"bad code", with(func(n *Notification) { n.AccessCode = "*7a" }), "notifications[0].access_code"},
		{"remote without deliverer", with(func(n *Notification) { n.Mode, n.AccessCode = Remote, "*72" }), "notifications[0].deliverer"},
		{"bad zone", Config{TimeZone: "Nowhere/Else"}, "time_zone"},
	} {
		ps := tc.cfg.Check()
		switch {
		case tc.field == "" && len(ps) > 0:
			t.Errorf("%s: %v", tc.name, ps)
		case tc.field != "" && (len(ps) != 1 || ps[0].Field != tc.field):
			t.Errorf("%s: %v, want one problem at %s", tc.name, ps, tc.field)
		}
	}
}

func TestNext(t *testing.T) {
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		n    Notification
		want time.Time
		ok   bool
	}{
		{"later today", Notification{At: "10:30"}, time.Date(2026, 12, 6, 10, 30, 0, 0, time.UTC), true},
		{"tomorrow", Notification{At: "08:00"}, time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC), true},
		{"dated", Notification{At: "08:00", Date: "2026-12-24"}, time.Date(2026, 12, 24, 8, 0, 0, 0, time.UTC), true},
		{"dated, past", Notification{At: "08:00", Date: "2026-12-06"}, time.Time{}, false},
		{"remote", Notification{At: "10:00", Mode: Remote}, time.Time{}, false},
	} {
		got, ok := Next(tc.n, now, time.UTC)
		if ok != tc.ok || (ok && !got.Equal(tc.want)) {
			t.Errorf("%s: Next = %v %v, want %v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestAccess(t *testing.T) {
	s, err := New(Config{Notifications: []Notification{
		{Name: "drill", Media: "m", Receivers: []string{"1001", "1002"}, At: "08:00", AccessCode: "*71"},
		{Name: "live", Mode: Remote, Receivers: []string{"1001"}, AccessCode: "*72", Deliverer: "1000"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dialled, caller string
		anonymous       bool
		found           bool
		code            int
	}{
		{"*71#", "1001", false, true, 0},
		{"*71%23", "1002", false, true, 0},
		{"*71", "1003", false, true, 403},
		{"*71", "1001", true, true, 403},
		{"*72", "1000", false, true, 0},
		{"*72", "1001", false, true, 403},
		{"*73", "1001", false, false, 0},
	} {
		n, found := s.ByCode(tc.dialled)
		if found != tc.found {
			t.Errorf("ByCode(%q) found %v", tc.dialled, found)
			continue
		}
		if !found {
			continue
		}
		v := s.Access(n, tc.caller, tc.anonymous)
		var se *sipx.StatusError
		switch {
		case tc.code == 0 && v.Kind != services.Continue:
			t.Errorf("%s by %s: %v, want allowed", tc.dialled, tc.caller, v.Err)
		case tc.code != 0 && (v.Kind != services.Refuse || !errors.As(v.Err, &se) || se.Code != tc.code):
			t.Errorf("%s by %s: %v %v, want %d", tc.dialled, tc.caller, v.Kind, v.Err, tc.code)
		}
	}
}

// TestTries: on a fake clock the receivers ring at the time; one who does
// not answer is tried again every interval, max_tries times in all.
func TestTries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxTries int
		answerAt int // the try 1002 answers (0: never)
		want     Receipt
	}{
		{"never answers", 0, 0, Receipt{Tries: 10}},
		{"three tries", 3, 0, Receipt{Tries: 3}},
		{"answers at the fourth", 0, 4, Receipt{Tries: 4, Received: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			clk := clock.NewFake(time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC))
			settled := make(chan string, 64)
			var mu sync.Mutex
			tries := map[string]int{}
			ring := func(_ context.Context, n Notification, rcv string, done func(bool)) {
				mu.Lock()
				tries[rcv]++
				k := tries[rcv]
				mu.Unlock()
				done(rcv == "1001" || k == tc.answerAt)
				settled <- rcv
			}
			s, err := New(Config{TimeZone: "UTC", Notifications: []Notification{{Name: "drill", Media: "m",
				Receivers: []string{"1001", "1002"}, At: "08:00", MaxTries: tc.maxTries, RetryInterval: time.Minute}}},
				WithClock(clk), WithRinger(ring))
			if err != nil {
				t.Fatal(err)
			}
			runCtx, stop := context.WithCancel(ctx)
			ran := make(chan error, 1)
			go func() { ran <- s.Run(runCtx) }()
			for clk.Pending() == 0 { // until Run armed the 08:00 timer
				if ctx.Err() != nil {
					t.Fatal(ctx.Err())
				}
				time.Sleep(time.Millisecond)
			}
			clk.Advance(time.Hour)
			for got := 0; got < 2; got++ { // both ring at 08:00
				select {
				case <-settled:
				case <-ctx.Done():
					t.Fatal(ctx.Err())
				}
			}
			for s.Status("drill")["1002"].Pending {
				clk.Advance(time.Minute)
				select {
				case <-settled:
				case <-ctx.Done():
					t.Fatal(ctx.Err())
				}
			}
			stop()
			if err := <-ran; err != nil {
				t.Fatal(err)
			}
			st := s.Status("drill")
			if st["1001"] != (Receipt{Tries: 1, Received: true}) {
				t.Errorf("1001 %+v, want received at once", st["1001"])
			}
			if st["1002"] != tc.want {
				t.Errorf("1002 %+v, want %+v", st["1002"], tc.want)
			}
		})
	}
}
