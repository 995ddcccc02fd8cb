package config

import (
	"errors"
	"strings"
	"testing"

	"pbxlab/pbx/internal/numbering"
)

func TestParseNumbering(t *testing.T) {
	c, err := Parse("pbx.yaml", []byte(`
numbering:
  country: "86"
  area: "10"
  devices:
    - {name: og-sh, kind: office_gateway, country: "86", area: "21", in_domain: true}
  entries:
    - {prefix: "8", min: 4, max: 4, kind: group, target: sales}
    - {prefix: "6660", min: 7, max: 7, country: "86", area: "21", kind: route, target: to-sh, device: og-sh}
    - {prefix: "900", kind: reject, cause: 403}
  tables:
    - name: out
      rules:
        - {number: called, prefix: "9", min: 8, strip: 1}
  bindings:
    - {scope: global, tables: [out]}
    - {scope: calling-number, key: "5550001", rules: [{number: calling, prepend: "6"}]}
subscribers:
  - {number: "5550001", password: x}
services:
  hunt:
    groups:
      - {name: sales, members: ["5550001"]}
peers:
  - {name: sh-gw, host: 192.0.2.21}
routes:
  - {name: to-sh, peers: [sh-gw]}
`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.NumberingPlan()
	if err != nil {
		t.Fatal(err)
	}
	for dialled, want := range map[string]string{"5550001": "subscriber", "8001": "group", "0216660001": "route"} {
		r, err := p.Analyse("", numbering.Location{Country: "86", Area: "10"}, dialled)
		if err != nil || r.Kind.String() != want {
			t.Errorf("%s: %s, %v; want %s", dialled, r.Kind, err, want)
		}
	}
	got, _ := p.Substitute(numbering.Call{Calling: "5550001", Called: "95550001", CallerInDomain: true}, numbering.Before)
	if got.Called != "5550001" || got.Calling != "5550001" {
		t.Errorf("before analysis: %+v", got)
	}
	got, _ = p.Substitute(numbering.Call{Calling: "5550001", Called: "5550001", CallerInDomain: true}, numbering.After)
	if got.Calling != "65550001" {
		t.Errorf("after analysis: %+v", got)
	}
}

// TestNumberingErrorsNameFileLineAndField: what the plan refuses is
// reported at the configuration's own field and line.
func TestNumberingErrorsNameFileLineAndField(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"entry overlapping a subscriber", `
subscribers:
  - {number: "5550001", password: x}
numbering:
  entries:
    - {prefix: "555", min: 7, max: 7, kind: group, target: g}
    - {prefix: "5550001", min: 7, max: 7, kind: reject}
`, "pbx.yaml:7: numbering.entries[1]"},
		{"subscriber overlapping an entry", `
subscribers:
  - {number: "8001", password: x}
numbering:
  entries:
    - {prefix: "8001", min: 4, kind: group, target: g}
`, "numbering.entries[0]: prefix \"8001\""},
		{"unknown kind", `
numbering:
  entries:
    - {prefix: "8", kind: hunt}
`, "pbx.yaml:4: numbering.entries[0].kind: unknown kind \"hunt\""},
		{"unknown table", `
numbering:
  bindings:
    - {scope: global, tables: [nope]}
`, "numbering.bindings[0].tables[0]: unknown table \"nope\""},
		{"rule number", `
numbering:
  tables:
    - {name: t, rules: [{number: both, prefix: "9"}]}
`, "numbering.tables[0].rules[0].number"},
		{"digits", `
numbering:
  country: "+86"
`, "numbering.country: \"+86\": digits only"},
		{"device kind", `
numbering:
  devices:
    - {name: x, kind: switch}
`, "numbering.devices[0].kind: unknown kind"},
	} {
		_, err := Parse("pbx.yaml", []byte(tc.yaml))
		var fe *FieldError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a field error containing %q", tc.name, err, tc.want)
		}
	}
}
