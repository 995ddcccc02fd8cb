package config

import (
	"strings"
	"testing"
)

// TestThreePartyConfig: services.three_party is checked at its field
// paths, and a switch named three_party is a known service.
func TestThreePartyConfig(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string // want "": valid
	}{
		{"valid", `
services:
  three_party: {code: "*3", max_parties: 4, on_host_hangup: end, digit_timeout: 2s}
  switches:
    subscribers:
      "1001": {three_party: "off"}
`, ""},
		{"bad code", `
services:
  three_party: {code: "*3x"}
`, `services.three_party.code`},
		{"too few seats", `
services:
  three_party: {max_parties: 2}
`, `services.three_party.max_parties`},
		{"bad host choice", `
services:
  three_party: {on_host_hangup: drop}
`, `services.three_party.on_host_hangup`},
		{"unknown field", `
services:
  three_party: {seats: 4}
`, `seats`},
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
