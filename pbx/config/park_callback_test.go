package config

import (
	"strings"
	"testing"
	"time"
)

// TestParkCallbackConfig: services.park and services.callback parse
// strictly and are checked at their field paths; the switches know both.
func TestParkCallbackConfig(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string // want "": valid
	}{
		{"valid", `
services:
  park: {slots: 20, timeout: 45s, right: ["1001"]}
  callback: {timeout: 1h}
  switches:
    defaults: {park: on, callback: off}
`, ""},
		{"too many slots", `
services:
  park: {slots: 1000}
`, `services.park.slots`},
		{"negative park timeout", `
services:
  park: {timeout: -1s}
`, `services.park.timeout`},
		{"right not a number", `
services:
  park: {right: ["boss"]}
`, `services.park.right[0]`},
		{"negative callback timeout", `
services:
  callback: {timeout: -1m}
`, `services.callback.timeout`},
		{"unknown field", `
services:
  callback: {wait: 1m}
`, `wait`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("pbx.yaml", []byte(huntSubscribers+tc.yaml))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.Services.Park.Slots != 20 || c.Services.Park.Timeout != 45*time.Second || c.Services.Callback.Timeout != time.Hour {
					t.Errorf("parsed %+v %+v", c.Services.Park, c.Services.Callback)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v, want an error containing %q", err, tc.want)
			}
		})
	}
}
