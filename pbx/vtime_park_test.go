package pbx_test

import (
	"testing"
	"time"

	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/services/park"
	"pbxlab/pbx/pbxtest/vnet"
	"pbxlab/sim/phone"
)

// TestVirtualParkTimeout: a call parked longer than services.park.timeout
// leaves its slot and the PBX rings the parker back showing the parked
// party: answered, the two talk (record "park timeout: back to 1000");
// not answered (the no-answer timer), the parked call is hung up (record
// "park timeout"). Either way the slot is free (404).
func TestVirtualParkTimeout(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer bool
	}{{"parker-answers", true}, {"parker-does-not-answer", false}} {
		t.Run(tc.name, func(t *testing.T) {
			virtual(t, func(t *testing.T) { parkTimeout(t, tc.answer) })
		})
	}
}

func parkTimeout(t *testing.T, answer bool) {
	ctx := t.Context()
	cfg := config.Demo()
	cfg.Services.Park = park.Config{Timeout: 30 * time.Second}
	h := vnet.Start(t, cfg, vnet.WithMedia())
	mode := phone.AnswerMode{}
	if !answer {
		mode.Behaviour = phone.NoAnswer
	}
	a, b := h.Phone("1000", vnet.Answer(mode)), h.Phone("1001")
	c, err := a.Dial(ctx, "1001")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatalf("answer: %v (code %d)", err, c.Code())
	}
	parked, err := b.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if code, err := c.Transfer(ctx, "*6"); err != nil || code != 200 {
		t.Fatalf("park = %d, %v", code, err)
	}
	back, err := a.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 30*time.Second || waited > 31*time.Second {
		t.Errorf("rang the parker back after %v, want the 30s timeout", waited)
	}
	if back.Remote() != "1001" {
		t.Errorf("the ring-back shows %q, want the parked 1001", back.Remote())
	}
	d, err := b.Dial(ctx, "*6*1#")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WaitAnswer(ctx); err == nil || d.Code() != 404 {
		t.Errorf("retrieve after the timeout: %v, code %d; want 404", err, d.Code())
	}
	want := "park timeout"
	if answer {
		if err := back.WaitAnswer(ctx); err != nil {
			t.Fatalf("ring-back: %v", err)
		}
		time.Sleep(10 * time.Second) // talk
		if err := parked.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		if end, err := back.Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
			t.Errorf("the parker's end %+v, %v; want BYE", end, err)
		}
		want = "park timeout: back to 1000"
	} else {
		end, err := parked.Wait(ctx)
		if err != nil || end.Reason != phone.ReasonBye || end.By != phone.Remote {
			t.Fatalf("parked party end = %+v, %v; want BYE from the PBX", end, err)
		}
	}
	found := false
	for _, r := range cdrsOf(t, h) {
		if r.Caller == "1001" && r.Callee == "*6*1" && r.Reason == want && r.Disposition == pbx.Answered {
			found = true
		}
	}
	if !found {
		t.Errorf("no record of the parked call ending %q: %+v", want, cdrsOf(t, h))
	}
}
