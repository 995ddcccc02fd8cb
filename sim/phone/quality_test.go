package phone

import (
	"testing"
	"time"

	"pbxlab/sim/quality"
)

// TestCallQuality: two phones sharing a quality registry measure each
// other's stream: no loss, a one-way delay known exactly (loopback: well
// under the 150 ms where the E-model starts to punish), a toll-quality MOS
// for G.711. A phone without the registry measures loss and MOS but knows
// no delay; after the call the registry holds no SSRC.
func TestCallQuality(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 15*time.Second)
	reg := quality.NewRegistry(0)
	a := newTestPhone(t, newTestAgent(t, Config{}, WithQuality(reg)), PhoneConfig{Number: "5000"})
	inc := make(chan *Call, 1)
	b := newTestPhone(t, newTestAgent(t, Config{}, WithQuality(reg)), PhoneConfig{Number: "5001", OnIncoming: func(c *Call) { inc <- c }})
	loner := newTestPhone(t, newTestAgent(t, Config{}), PhoneConfig{Number: "5002", OnIncoming: func(c *Call) { inc <- c }})

	out, in := answered(t, ctx, a, b, inc)
	if _, err := VerifyTwoWay(ctx, out, in); err != nil {
		t.Fatal(err)
	}
	for _, leg := range []*Call{out, in} {
		q := leg.Quality()
		if q.Received < 5 || q.Lost != 0 || !q.DelayKnown || q.DelaySamples < 5 || q.DelayMax <= 0 || q.DelayMax > 100*time.Millisecond || q.MOS < 4 {
			t.Errorf("%s measured %+v: want packets, no loss, exact delays under 100ms, MOS >= 4", leg.Phone().Number(), q)
		}
	}
	if err := out.Hangup(ctx); err != nil {
		t.Fatal(err)
	}

	out2, in2 := answered(t, ctx, a, loner, inc)
	if _, err := VerifyTwoWay(ctx, out2, in2); err != nil {
		t.Fatal(err)
	}
	if q := in2.Quality(); q.DelayKnown || q.Received < 5 || q.MOS < 4 {
		t.Errorf("the phone without a registry measured %+v: want packets and a MOS, delay unknown", q)
	}
	if q := out2.Quality(); !q.DelayKnown || q.DelaySamples != 0 || q.Received < 5 {
		t.Errorf("the registered phone hearing an unregistered one measured %+v: want no delay samples", q)
	}
	if err := out2.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	for _, leg := range []*Call{out, in, out2, in2} {
		<-leg.Done()
	}
	deadline := time.Now().Add(5 * time.Second)
	for reg.Live() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := reg.Live(); n != 0 {
		t.Errorf("%d SSRCs still claimed after every call ended", n)
	}
}
