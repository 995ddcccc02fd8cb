package phone

import (
	"strings"
	"testing"
	"time"
)

// TestLargeUDPMessages: a simulated phone sends a REGISTER and receives a
// 200 longer than sipgo's default UDP limit (UDPMTUSize-200 = 1300 bytes)
// in a test process that does not link pbx. Before the settings moved to
// internal/sipstack only pbx raised the limit (in an init), so this worked
// in `pbxlab sim` but not here: both now run sipstack.Defaults.
func TestLargeUDPMessages(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 20*time.Second)
	const pad = 3000
	reg := newRegistrar(t, "MD5", map[string]string{"1000": "secret1000"}, func(r *registrar) { r.pad = pad })
	ag := newTestAgent(t, Config{Target: reg.addr}, WithUserAgent("pbxlab-sim-"+strings.Repeat("x", 2000)))
	p := newTestPhone(t, ag, PhoneConfig{Number: "1000", Password: "secret1000", Expires: 120 * time.Second})

	got, err := p.Register(ctx)
	if err != nil {
		t.Fatalf("Register with a %d-byte 200: %v", pad, err)
	}
	if got.Code != 200 {
		t.Fatalf("registration %+v", got)
	}
	recs := reg.records()
	if len(recs) != 1 || recs[0].size <= 2000 {
		t.Fatalf("registrar saw %+v, want one REGISTER of more than 2000 bytes", recs)
	}
	if _, err := p.Unregister(ctx); err != nil {
		t.Fatalf("Unregister: %v", err)
	}
}
