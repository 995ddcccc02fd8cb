package config

import (
	"strings"
	"testing"
)

// TestPickupConfig: services.pickup is checked at its field paths.
func TestPickupConfig(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string // want "": valid
	}{
		{"valid", `
services:
  pickup:
    groups: [{name: office, members: ["1001", "1002"]}]
    right: ["1002"]
`, ""},
		{"member not a subscriber", `
services:
  pickup:
    groups: [{name: office, members: ["1001", "1003"]}]
`, `services.pickup.groups[0].members[1]: "1003" is not a subscriber`},
		{"right not a subscriber", `
services:
  pickup:
    right: ["1009"]
`, `services.pickup.right[0]: "1009" is not a subscriber`},
		{"no name", `
services:
  pickup:
    groups: [{members: ["1001"]}]
`, `services.pickup.groups[0].name`},
		{"no members", `
services:
  pickup:
    groups: [{name: office}]
`, `services.pickup.groups[0].members`},
		{"unknown field", `
services:
  pickup:
    groupz: []
`, `groupz`},
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
