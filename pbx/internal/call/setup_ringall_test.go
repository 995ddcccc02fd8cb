package call_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
)

// TestSetupRingAllRingTime: the targets of a parallel decision (a ring-all
// hunt group) each ring for their Ring time, not until the call's
// no-answer timer: both members are cancelled and the caller gets 480
// long before the hour-long no-answer timer.
func TestSetupRingAllRingTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const ring = 5 * time.Second
		r := newSetupRig(t, trustedCallers(), func(c *rigConfig) {
			c.cfg.Call.NoAnswerTimeout = time.Hour
			c.cfg.Services.Hunt = config.HuntConfig{Groups: []config.HuntGroup{
				{Name: "all", Number: "2000", Strategy: "simultaneous", Members: []string{"1001", "1002"}, RingTime: ring}}}
		})
		a, b1, b2 := r.ua("1000"), r.callee("1001"), r.callee("1002")
		start := time.Now()
		tx := r.invite(a, "2000", a.Offer(), nil)
		r.incoming(b1, testua.Method(sip.INVITE), "1001 rung")
		r.incoming(b2, testua.Method(sip.INVITE), "1002 rung")
		res := r.final(tx)
		if res.StatusCode != 480 {
			t.Errorf("caller got %d, want 480", res.StatusCode)
		}
		if el := time.Since(start); el >= time.Hour {
			t.Errorf("the call ended after %s: the ring time (%s) did not end it", el, ring)
		}
		r.incoming(b1, testua.Method(sip.CANCEL), "1001 cancelled")
		r.incoming(b2, testua.Method(sip.CANCEL), "1002 cancelled")
	})
}
