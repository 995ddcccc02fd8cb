package config

import (
	"strings"
	"testing"

	"pbxlab/pbx/internal/numbering"
)

const huntSubscribers = `
subscribers:
  - {number: "1001", password: x}
  - {number: "1002", password: x}
`

// TestHuntGroupConfig: services.hunt is checked at its field paths, and a
// group's own number is analysed as the group.
func TestHuntGroupConfig(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string // want "": valid
	}{
		{"valid", `
services:
  hunt:
    groups:
      - {name: sales, number: "2000", strategy: circular, members: ["1001", "1002"], ring_time: 10s, overflow: "1001", max_time: 30s}
      - {name: support, members: ["1002"]}
numbering:
  entries:
    - {prefix: "2001", min: 4, max: 4, kind: group, target: support}
`, ""},
		{"unknown strategy", `
services:
  hunt:
    groups: [{name: sales, strategy: random, members: ["1001"]}]
`, `services.hunt.groups[0].strategy: "random"`},
		{"member not a subscriber", `
services:
  hunt:
    groups: [{name: sales, members: ["1001", "1003"]}]
`, `services.hunt.groups[0].members[1]: "1003" is not a subscriber`},
		{"number of a subscriber", `
services:
  hunt:
    groups: [{name: sales, number: "1001", members: ["1002"]}]
`, `services.hunt.groups[0].number: "1001" is a subscriber's number`},
		{"entry naming no group", `
services:
  hunt:
    groups: [{name: sales, members: ["1002"]}]
numbering:
  entries:
    - {prefix: "2001", min: 4, max: 4, kind: group, target: support}
`, `numbering.entries[0].target: "support" names no hunt group`},
		{"negative ring time", `
services:
  hunt:
    groups: [{name: sales, members: ["1002"], ring_time: -1s}]
`, `services.hunt.groups[0].ring_time`},
		{"unknown field", `
services:
  hunt:
    groups: [{name: sales, members: ["1002"], ringtime: 1s}]
`, `ringtime`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("pbx.yaml", []byte(huntSubscribers+tc.yaml))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				p, err := c.NumberingPlan()
				if err != nil {
					t.Fatal(err)
				}
				for dialled, target := range map[string]string{"2000": "sales", "2001": "support"} {
					r, err := p.Analyse("", p.Home, dialled)
					if err != nil || r.Kind != numbering.Group || r.Target != target {
						t.Errorf("%s: %s %q, %v; want group %s", dialled, r.Kind, r.Target, err, target)
					}
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v, want an error containing %q", err, tc.want)
			}
		})
	}
}
