package pbx_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"pbxlab/internal/leakcheck"
	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// TestAdminNotifications: the API lists the configured notifications,
// delivers a local one now (the receiver rings, hears the file: the PBX
// hangs up after it, the delivery says received), refuses a remote one
// (409) and an unknown one (404), and lists the armed wake-up alarms.
func TestAdminNotifications(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	in := adminPBX(t, adminToken, func(c *config.Config) {
		c.Services.Notification = config.NotificationConfig{Notifications: []config.Notification{
			{Name: "drill", Media: "goodbye", Receivers: []string{"1001"}, At: "00:00", Date: "2000-01-01", AccessCode: "*71"},
			{Name: "live", Mode: "remote", Deliverer: "1000", Receivers: []string{"1001"}, AccessCode: "*72"},
		}}
	})
	a := newAPI(t, in, adminToken)
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1001")
	out := a.must(ctx, http.StatusOK, "GET", "/api/v1/notifications", "")
	if l, _ := out["notifications"].([]any); len(l) != 2 {
		t.Fatalf("notifications %v, want 2", out)
	}
	a.must(ctx, http.StatusNotFound, "GET", "/api/v1/notifications/nope", "")
	a.must(ctx, http.StatusNotFound, "POST", "/api/v1/notifications/nope/deliver", "")
	a.must(ctx, http.StatusConflict, "POST", "/api/v1/notifications/live/deliver", "")
	a.must(ctx, http.StatusAccepted, "POST", "/api/v1/notifications/drill/deliver", "")
	c := ps["1001"].nextIncoming(ctx, t) // the phone answers at once
	if end, err := c.Wait(ctx); err != nil || end.By != phone.Remote || end.Reason != phone.ReasonBye {
		t.Fatalf("the PBX did not hang up after the file: %+v %v", end, err)
	}
	for {
		out = a.must(ctx, http.StatusOK, "GET", "/api/v1/notifications/drill", "")
		d, _ := out["delivery"].(map[string]any)
		r, _ := d["1001"].(map[string]any)
		if r["received"] == true && r["tries"] == float64(1) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("delivery %v, want 1001 received at the first try", out)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if out := a.must(ctx, http.StatusOK, "GET", "/api/v1/wakeup", ""); len(out["alarms"].(map[string]any)) != 0 {
		t.Errorf("alarms %v, want none", out)
	}
}
