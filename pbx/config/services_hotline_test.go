package config

import (
	"strings"
	"testing"
)

// TestHotlineSecretaryConfig: services.hotline and services.secretary are
// checked at their field paths.
func TestHotlineSecretaryConfig(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string // want "": valid
	}{
		{"valid", `
services:
  hotline:
    offhook_number: hotline
    delay: 3s
    subscribers:
      "1001": {number: "1002", mode: delayed, delay: 2s}
  secretary:
    bosses:
      "1001": {secretary: "1002", allowed: ["900123"], filter: on}
`, ""},
		{"hotline of no subscriber", `
services:
  hotline:
    subscribers:
      "1009": {number: "1002"}
`, `services.hotline.subscribers.1009: "1009" is not a subscriber`},
		{"bad mode", `
services:
  hotline:
    subscribers:
      "1001": {number: "1002", mode: soon}
`, `services.hotline.subscribers.1001.mode`},
		{"bad off-hook number", `
services:
  hotline:
    offhook_number: "off hook"
`, `services.hotline.offhook_number`},
		{"boss no subscriber", `
services:
  secretary:
    bosses:
      "1009": {secretary: "1002"}
`, `services.secretary.bosses.1009: "1009" is not a subscriber`},
		{"secretary no subscriber", `
services:
  secretary:
    bosses:
      "1001": {secretary: "1008"}
`, `services.secretary.bosses.1001.secretary: "1008" is not a subscriber`},
		{"bad filter", `
services:
  secretary:
    bosses:
      "1001": {secretary: "1002", filter: maybe}
`, `services.secretary.bosses.1001.filter`},
		{"unknown field", `
services:
  secretary:
    boss: {}
`, `boss`},
		{"switch names", `
services:
  switches:
    defaults: {hotline: off, secretary: on}
`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("pbx.yaml", []byte(huntSubscribers+tc.yaml))
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
