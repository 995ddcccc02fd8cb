package pbx_test

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest/vnet"
)

// TestVirtualDelayedHotline: in virtual time, a subscriber with a delayed
// hotline (the default 5 s wait) goes off hook (dials the off-hook number)
// and dials nothing: the PBX answers 183 with its SDP at once (the dial
// tone), and the hotline number rings 5 s later, not before, on the PBX's
// clock. Its answer (vnet phones answer at once) answers the caller's INVITE; the CDR is the call to
// the hotline number.
func TestVirtualDelayedHotline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		cfg := config.Demo()
		cfg.Services.Hotline = config.HotlineConfig{Subscribers: map[string]config.HotlineLine{
			"1000": {Number: "1001", Mode: "delayed"},
		}}
		h := vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait), vnet.WithMedia())
		callee, caller := h.Phone("1001"), h.Phone("1000")
		start := time.Now()
		c, err := caller.Dial(ctx, "hotline")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitRinging(ctx); err != nil {
			t.Fatalf("no provisional response for the off-hook number: %v (code %d)", err, c.Code())
		}
		if !c.EarlyMedia() || !slices.Contains(c.Provisional(), 183) {
			t.Errorf("off hook got %v, early media %v; want 183 with the PBX's SDP", c.Provisional(), c.EarlyMedia())
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("the dial tone came %v after going off hook", took)
		}
		in, err := callee.NextIncoming(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < 5*time.Second || took > 6*time.Second {
			t.Errorf("the hotline rang %v after going off hook, want 5s to 6s", took)
		}
		if err := c.WaitAnswer(ctx); err != nil {
			t.Fatalf("the off-hook call was not answered by the hotline: %v (code %d)", err, c.Code())
		}
		if err := c.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := in.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		recs := cdrsOf(t, h)
		if len(recs) != 1 || recs[0].Caller != "1000" || recs[0].Callee != "1001" || recs[0].Disposition != pbx.Answered {
			t.Fatalf("CDRs %+v, want one answered call from 1000 to 1001", recs)
		}
	})
}
